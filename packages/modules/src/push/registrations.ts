// XEP-0357 §5-§6: the push services an account enabled, kept in the kv store "push".

import { type ModuleApi, StanzaError } from "@hato/core";
import { parseJid } from "@hato/jid";
import { type Element, parseElement, serialize } from "@hato/xml";

export const NS_PUSH = "urn:xmpp:push:0";
export const NS_DATA = "jabber:x:data";
const PUBLISH_OPTIONS = "http://jabber.org/protocol/pubsub#publish-options";
const STORE = "push";

type KeyValueStore = ModuleApi["storage"]["kv"];
/** App servers hand out short random node names; anything longer is not one. */
const MAX_NODE = 1024;
/** The publish-options form carries a secret or two, not documents. */
const MAX_FORM_BYTES = 4096;

/** One enabled push service: where to publish, and the publish options to send along. */
export interface Registration {
  jid: string;
  node: string;
  /** The serialised publish-options form, when the client gave one. */
  form?: string;
}

const keyOf = (jid: string, node: string) => JSON.stringify([jid, node]);

/** The `jid` attribute of an enable/disable element, prepared; StanzaError when unusable. */
function serviceJid(el: Element, localDomain: string): string {
  const raw = el.attr("jid");
  if (raw === undefined) throw new StanzaError("bad-request", `<${el.name}/> needs a jid`);
  const parsed = parseJid(raw);
  if (!parsed.ok)
    throw new StanzaError("jid-malformed", `the push service jid is not valid: ${parsed.reason}`);
  // Notifications come from the server itself: aimed at a local account they would land in its
  // PEP service as if the server published there.
  if (el.name === "enable" && parsed.jid.domain === localDomain)
    throw new StanzaError(
      "not-acceptable",
      `a push service has a domain of its own, not ${localDomain} (a component such as push.${localDomain})`,
    );
  return parsed.jid.toString();
}

function checkNode(node: string | undefined, required: boolean): void {
  if (node === undefined) {
    if (required)
      throw new StanzaError("bad-request", "<enable/> needs the node of the push service");
    return;
  }
  if (node === "" || node.length > MAX_NODE)
    throw new StanzaError("bad-request", `the node must have 1 to ${MAX_NODE} characters`);
}

/** The publish-options form of an enable request, checked and ready to store. */
function publishOptions(enable: Element): string | undefined {
  const forms = enable.getChildren("x", NS_DATA);
  if (forms.length === 0) return undefined;
  if (forms.length > 1) throw new StanzaError("bad-request", "at most one publish-options form");
  const form = forms[0]!;
  const formType = form
    .getChildren("field")
    .find((f) => f.attr("var") === "FORM_TYPE")
    ?.getChildText("value");
  if (formType !== PUBLISH_OPTIONS)
    throw new StanzaError("bad-request", `the form's FORM_TYPE must be ${PUBLISH_OPTIONS}`);
  const copy = form.clone();
  copy.attrs.type = "submit";
  const text = serialize(copy);
  if (Buffer.byteLength(text) > MAX_FORM_BYTES)
    throw new StanzaError(
      "not-acceptable",
      `the publish-options form is over ${MAX_FORM_BYTES} bytes`,
    );
  return text;
}

/** An account's push registrations in the key-value store. */
export class Registrations {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly max: number,
    private readonly domain: string,
  ) {}

  /** XEP-0357 §5: enables (or, for a known jid and node, updates) a push service. */
  async enable(username: string, enable: Element): Promise<void> {
    const jid = serviceJid(enable, this.domain);
    const node = enable.attr("node");
    checkNode(node, true);
    const form = publishOptions(enable);
    const key = keyOf(jid, node!);
    const keys = await this.kv.keys(STORE, username);
    if (!keys.includes(key) && keys.length >= this.max)
      throw new StanzaError(
        "policy-violation",
        `at most ${this.max} push services per account; disable one first`,
      );
    const value: Registration =
      form === undefined ? { jid, node: node! } : { jid, node: node!, form };
    if (!(await this.kv.set(STORE, username, key, JSON.stringify(value))))
      throw new StanzaError("item-not-found", "no such account");
  }

  /** XEP-0357 §6: disables one jid and node, or every node of a jid. */
  async disable(username: string, disable: Element): Promise<void> {
    const jid = serviceJid(disable, this.domain);
    const node = disable.attr("node");
    checkNode(node, false);
    for (const r of await this.list(username))
      if (r.jid === jid && (node === undefined || r.node === node)) await this.remove(username, r);
  }

  async remove(username: string, r: { jid: string; node: string }): Promise<void> {
    await this.kv.set(STORE, username, keyOf(r.jid, r.node), undefined);
  }

  /** Every registration of an account (none for an unknown one). */
  async list(username: string): Promise<Registration[]> {
    const out: Registration[] = [];
    for (const key of await this.kv.keys(STORE, username)) {
      const text = await this.kv.get(STORE, username, key);
      if (text !== undefined) out.push(JSON.parse(text) as Registration);
    }
    return out;
  }
}

/** The stored publish-options form, parsed again for a notification. */
export function storedForm(r: Registration): Element | undefined {
  return r.form === undefined ? undefined : parseElement(r.form);
}
