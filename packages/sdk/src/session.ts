// Stream negotiation on an open transport (RFC 6120 §4-7 as framed by RFC 7395): open,
// SASL, open again, then resume (XEP-0198) or bind a resource.

import { type Element, xml } from "@hato/xml";
import { fromBase64, toBase64 } from "./base64.js";
import { NS_BIND, NS_FRAMING, NS_SASL, NS_SM, NS_STREAM, NS_STREAMS } from "./ns.js";
import { fromUtf8, randomId, utf8 } from "./platform.js";
import { SCRAM_MECHANISMS, scramClient } from "./scram.js";

/** SASL refused the credentials (or the server could not prove it knows them): do not retry. */
export class AuthError extends Error {
  constructor(
    readonly condition: string,
    text?: string,
  ) {
    super(text ? `${condition}: ${text}` : condition);
  }
}

/** The server ended the stream with an error; `condition` is the RFC 6120 §4.9.3 name. */
export class StreamError extends Error {
  constructor(
    readonly condition: string,
    text?: string,
  ) {
    super(text ? `stream error ${condition}: ${text}` : `stream error ${condition}`);
  }
}

/** What negotiation needs from the connection. */
export interface Link {
  send(el: Element): void;
  sendOpen(): void;
  /** The next element from the server; rejects when the connection closes or times out. */
  next(): Promise<Element>;
}

export interface Credentials {
  user: string;
  password: string;
  resource?: string;
}

/** The result of negotiate(): a bound JID, or a resumed session with the server's h. */
export type Negotiated =
  | { resumed: false; jid: string; sm: boolean; resumeFailed: boolean }
  | { resumed: true; h: number };

/** A SASL <failure/> condition that means "wrong credentials", not "try again later". */
const TRANSIENT_SASL = new Set(["temporary-auth-failure", "aborted"]);

async function expect(link: Link, name: string, ns: string): Promise<Element> {
  const el = await link.next();
  if (el.name === "error" && el.xmlns === NS_STREAM) throw streamError(el);
  if (el.name === "close" && el.xmlns === NS_FRAMING)
    throw new StreamError("closed", "the server closed the stream");
  if (el.name !== name || el.xmlns !== ns)
    throw new Error(`expected <${name}/>, got <${el.name}/>`);
  return el;
}

/** Builds a StreamError from <stream:error/>. */
export function streamError(el: Element): StreamError {
  const cond = el.elements().find((c) => c.xmlns === NS_STREAMS && c.name !== "text");
  return new StreamError(cond?.name ?? "undefined-condition", el.getChildText("text", NS_STREAMS));
}

async function openStream(link: Link): Promise<Element> {
  link.sendOpen();
  await expect(link, "open", NS_FRAMING);
  return expect(link, "features", NS_STREAM);
}

async function authenticate(link: Link, features: Element, creds: Credentials): Promise<void> {
  const offered = new Set(
    (features.getChild("mechanisms", NS_SASL)?.getChildren("mechanism", NS_SASL) ?? []).map((m) =>
      m.text(),
    ),
  );
  const mech = (Object.keys(SCRAM_MECHANISMS) as (keyof typeof SCRAM_MECHANISMS)[]).find((m) =>
    offered.has(m),
  );
  if (mech === undefined)
    throw new AuthError("invalid-mechanism", "the server offers no SCRAM mechanism");
  const scram = scramClient(SCRAM_MECHANISMS[mech], creds.user, creds.password);
  link.send(xml("auth", { xmlns: NS_SASL, mechanism: mech }, toBase64(utf8(scram.first()))));
  let step = 0;
  for (;;) {
    const el = await link.next();
    const data = fromBase64(el.text(), 4096);
    if (el.xmlns === NS_SASL && el.name === "failure") {
      const cond = el.elements().find((c) => c.name !== "text")?.name ?? "not-authorized";
      const text = el.getChildText("text", NS_SASL);
      if (TRANSIENT_SASL.has(cond)) throw new Error(`SASL ${cond}${text ? `: ${text}` : ""}`);
      throw new AuthError(cond, text);
    }
    if (el.name === "error" && el.xmlns === NS_STREAM) throw streamError(el);
    if (el.xmlns !== NS_SASL || data === undefined)
      throw new Error(`unexpected <${el.name}/> during SASL`);
    if (el.name === "challenge" && step === 0) {
      step = 1;
      let final: string;
      try {
        final = await scram.final(fromUtf8(data));
      } catch (e) {
        link.send(xml("abort", { xmlns: NS_SASL }));
        throw new AuthError("server-unsafe", e instanceof Error ? e.message : String(e));
      }
      link.send(xml("response", { xmlns: NS_SASL }, toBase64(utf8(final))));
    } else if (el.name === "challenge" && step === 1) {
      // Server-final sent as a challenge (RFC 6120 §6.3.10 allows it): check it, answer empty.
      if (!(await scram.verify(fromUtf8(data))))
        throw new AuthError("server-unverified", "the server signature is wrong");
      step = 2;
      link.send(xml("response", { xmlns: NS_SASL }));
    } else if (el.name === "success" && step >= 1) {
      if (step === 1 && !(await scram.verify(fromUtf8(data)))) {
        throw new AuthError("server-unverified", "the server did not prove it knows the password");
      }
      return;
    } else {
      throw new Error(`unexpected <${el.name}/> during SASL`);
    }
  }
}

async function bind(link: Link, resource: string | undefined): Promise<string> {
  const id = randomId();
  link.send(
    xml(
      "iq",
      { type: "set", id },
      xml("bind", { xmlns: NS_BIND }, resource ? xml("resource", null, resource) : undefined),
    ),
  );
  const el = await link.next();
  if (el.name === "error" && el.xmlns === NS_STREAM) throw streamError(el);
  const jid = el.getChild("bind", NS_BIND)?.getChildText("jid", NS_BIND);
  if (el.name !== "iq" || el.attr("id") !== id || el.attr("type") !== "result" || !jid) {
    throw new Error("resource binding failed");
  }
  return jid;
}

/**
 * Runs the whole negotiation. With `resume`, asks to resume that session first and binds
 * a fresh resource only when the server refuses.
 */
export async function negotiate(
  link: Link,
  creds: Credentials,
  resume?: { id: string; h: number },
): Promise<Negotiated> {
  const first = await openStream(link);
  await authenticate(link, first, creds);
  const features = await openStream(link);
  const sm = features.getChild("sm", NS_SM) !== undefined;
  let resumeFailed = false;
  if (resume !== undefined && sm) {
    link.send(xml("resume", { xmlns: NS_SM, previd: resume.id, h: String(resume.h) }));
    const el = await link.next();
    if (el.name === "resumed" && el.xmlns === NS_SM) {
      const h = Number(el.attr("h"));
      return { resumed: true, h: Number.isInteger(h) && h >= 0 ? h : 0 };
    }
    if (el.name !== "failed" || el.xmlns !== NS_SM)
      throw new Error(`unexpected <${el.name}/> after <resume/>`);
    resumeFailed = true;
  } else if (resume !== undefined) {
    resumeFailed = true;
  }
  return { resumed: false, jid: await bind(link, creds.resource), sm, resumeFailed };
}
