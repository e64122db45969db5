// Account registration before login: XEP-0077 in-band registration, with a XEP-0445
// pre-authentication token (an invite) when there is one. Own stream, closed afterwards:
// log in with HatoClient once it resolves.

import { type Element, xml } from "@hato/xml";
import {
  NS_FRAMING,
  NS_IBR_TOKEN,
  NS_PARS,
  NS_REGISTER,
  NS_REGISTER_FEATURE,
  NS_STANZAS,
  NS_STREAM,
} from "./ns.js";
import { after, cancel, randomId } from "./platform.js";
import { streamError } from "./session.js";
import { Transport, type WebSocketCtor } from "./transport.js";

const STEP_TIMEOUT_MS = 30_000;

/** What registerAccount needs. */
export interface RegisterOptions {
  /** wss://host:port/xmpp-websocket */
  service: string;
  /** The server's domain (the new account is username@domain). */
  domain: string;
  username: string;
  password: string;
  /** An invite token (XEP-0445), e.g. from `xmpp:domain?register;preauth=TOKEN`. */
  preauth?: string;
  WebSocket?: WebSocketCtor;
}

/**
 * Registration refused. `condition` is the stanza error's (`conflict`: the name is taken;
 * `item-not-found`: the invite is unknown, used or expired; `not-allowed`: by policy), or
 * `feature-missing` when the server does not offer what is needed; `text` is the server's words.
 */
export class RegistrationError extends Error {
  constructor(
    readonly condition: string,
    readonly text?: string,
  ) {
    super(text ? `${condition}: ${text}` : condition);
  }
}

/** The token of an invite link: `https://host/invite#TOKEN` or `xmpp:domain?register;preauth=TOKEN`. */
export function inviteToken(link: string): string | undefined {
  const m =
    /[#;?]preauth=([A-Za-z0-9_-]{1,256})(?:;|$)/.exec(link) ??
    /#([A-Za-z0-9_-]{1,256})$/.exec(link);
  return m?.[1];
}

/** Registers username@domain; resolves with the bare JID, rejects with RegistrationError or Error. */
export async function registerAccount(opts: RegisterOptions): Promise<string> {
  const Ctor = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
  if (Ctor === undefined) throw new Error("no WebSocket: pass RegisterOptions.WebSocket");
  const inbox: Element[] = [];
  let waiter: ((el: Element | Error) => void) | undefined;
  let closedReason: string | undefined;
  const deliver = (v: Element | Error) => {
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(v);
    } else if (v instanceof Error) closedReason = v.message;
    else inbox.push(v);
  };
  const t = await Transport.open(Ctor, opts.service, {
    element: (el) => deliver(el),
    oversized: () => deliver(new Error("the server sent an element too large to read")),
    closed: (reason) => deliver(new Error(`the connection closed: ${reason}`)),
  });
  const next = (): Promise<Element> => {
    const el = inbox.shift();
    if (el !== undefined) return Promise.resolve(el);
    if (closedReason !== undefined) return Promise.reject(new Error(closedReason));
    return new Promise((resolve, reject) => {
      const timer = after(STEP_TIMEOUT_MS, () => {
        waiter = undefined;
        reject(new Error("the server did not answer in time"));
      });
      waiter = (v) => {
        cancel(timer);
        if (v instanceof Error) reject(v);
        else resolve(v);
      };
    });
  };
  const expect = async (name: string, ns: string): Promise<Element> => {
    const el = await next();
    if (el.name === "error" && el.xmlns === NS_STREAM) throw streamError(el);
    if (el.name !== name || el.xmlns !== ns)
      throw new Error(`expected <${name}/>, got <${el.name}/>`);
    return el;
  };
  const ask = async (type: "get" | "set", payload: Element): Promise<Element> => {
    const id = randomId();
    t.send(xml("iq", { type, id, to: opts.domain }, payload));
    for (;;) {
      const el = await next();
      if (el.name === "error" && el.xmlns === NS_STREAM) throw streamError(el);
      if (el.name !== "iq" || el.attr("id") !== id) continue;
      if (el.attr("type") === "result") return el;
      const error = el.getChild("error");
      const cond = error?.elements().find((c) => c.xmlns === NS_STANZAS && c.name !== "text");
      throw new RegistrationError(
        cond?.name ?? "undefined-condition",
        error?.getChildText("text", NS_STANZAS),
      );
    }
  };

  try {
    t.sendOpen(opts.domain);
    await expect("open", NS_FRAMING);
    const features = await expect("features", NS_STREAM);
    if (opts.preauth !== undefined) {
      // XEP-0445 §3: only a server that offers the feature takes the token.
      if (features.getChild("register", NS_IBR_TOKEN) === undefined) {
        throw new RegistrationError("feature-missing", "this server does not accept invites");
      }
      await ask("set", xml("preauth", { xmlns: NS_PARS, token: opts.preauth }));
    } else if (features.getChild("register", NS_REGISTER_FEATURE) === undefined) {
      throw new RegistrationError("feature-missing", "this server does not offer registration");
    }
    await ask(
      "set",
      xml(
        "query",
        { xmlns: NS_REGISTER },
        xml("username", null, opts.username),
        xml("password", null, opts.password),
      ),
    );
    return `${opts.username}@${opts.domain}`;
  } finally {
    await t.close().catch(() => undefined);
  }
}
