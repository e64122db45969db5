// Direct file transfer refused (XEP-0234, XEP-0260, XEP-0261, XEP-0096, XEP-0066 iq:oob, XEP-0065, XEP-0047, XEP-0353).
import { type HatoModule, Priority, StanzaError } from "@hato/core";
import type { Element } from "@hato/xml";

export const NS_JINGLE = "urn:xmpp:jingle:1";
export const NS_SI = "http://jabber.org/protocol/si";
export const NS_SI_FILE = "http://jabber.org/protocol/si/profile/file-transfer";
export const NS_IQ_OOB = "jabber:iq:oob";
export const NS_BYTESTREAMS = "http://jabber.org/protocol/bytestreams";
export const NS_IBB = "http://jabber.org/protocol/ibb";

/** What the sender reads: why, and where files go instead. */
export const REFUSAL_TEXT =
  "direct file transfer is turned off on this server: files go through the upload service so they can be scanned";

/** Jingle file transfer in every version (XEP-0234 :1 to :5, and its info namespaces). */
const isFileTransfer = (ns: string | undefined) =>
  ns?.startsWith("urn:xmpp:jingle:apps:file-transfer:") === true;
/** The Jingle transports that carry a file straight between clients (XEP-0260, XEP-0261). */
const isDirectTransport = (ns: string | undefined) =>
  ns !== undefined &&
  (ns.startsWith("urn:xmpp:jingle:transports:s5b:") ||
    ns.startsWith("urn:xmpp:jingle:transports:ibb:"));
/** Jingle Message Initiation (XEP-0353) in its versions: a <propose/> may offer a file. */
const isJingleMessage = (ns: string | undefined) =>
  ns?.startsWith("urn:xmpp:jingle-message:") === true;

/** A Jingle element (or a JMI <propose/>) whose contents negotiate a file or a direct transport. */
function jingleTransfer(el: Element): string | undefined {
  for (const child of el.elements()) {
    if (isFileTransfer(child.xmlns)) return "Jingle file transfer";
    if (isDirectTransport(child.xmlns)) return "a Jingle direct transport";
    if (child.name !== "content") continue;
    for (const part of child.elements()) {
      if (isFileTransfer(part.xmlns)) return "Jingle file transfer";
      if (isDirectTransport(part.xmlns)) return "a Jingle direct transport";
    }
  }
  return undefined;
}

/**
 * The direct-transfer protocol a stanza negotiates or carries, named for the refusal's log,
 * or undefined. Only the places each protocol puts its elements are looked at, so metadata
 * about an uploaded file (SIMS's <file/>, XEP-0066 `jabber:x:oob` links) and Jingle RTP
 * calls pass.
 */
export function directTransfer(stanza: Element): string | undefined {
  for (const child of stanza.elements()) {
    const ns = child.xmlns;
    if (ns === NS_JINGLE && child.name === "jingle") {
      const found = jingleTransfer(child);
      if (found) return found;
    } else if (isJingleMessage(ns) && child.name === "propose") {
      const found = jingleTransfer(child);
      if (found) return found;
    } else if (ns === NS_SI && child.name === "si") {
      if (
        child.attr("profile") === NS_SI_FILE ||
        child.elements().some((c) => c.xmlns === NS_SI_FILE)
      )
        return "XEP-0096 stream initiation";
    } else if (ns === NS_SI_FILE) return "XEP-0096 stream initiation";
    else if (ns === NS_IQ_OOB && stanza.name === "iq") return "jabber:iq:oob";
    else if (ns === NS_BYTESTREAMS || ns?.startsWith(`${NS_BYTESTREAMS}#`))
      return "SOCKS5 bytestreams";
    else if (ns === NS_IBB) return "in-band bytestreams";
  }
  return undefined;
}

/** The text when the organisation's `files.scanning-required` refuses a direct transfer. */
export const SCANNING_REQUIRED_TEXT =
  "your organisation requires every file to be scanned, so direct file transfer is refused: send the file as an upload";
/** The same when the rule is the local recipient's. */
export const RECIPIENT_SCANNING_REQUIRED_TEXT =
  "the recipient's organisation requires every file to be scanned, so direct file transfer is refused: send the file as an upload";

/**
 * Files sent peer to peer never pass the upload service's scanner, so unless
 * `files.peer-to-peer` allows them, the negotiation is refused before anyone sees it. Even when
 * it does, a local sender or recipient whose policy has `files.scanning-required` is refused
 * (recorded as a policy denial): a direct transfer bypasses the scanner.
 * `policy-violation` (RFC 6120 §8.3.3.12) is the condition for a local service policy, and
 * its type `modify` tells the client to change what it sends: upload the file instead.
 */
export const p2pGuard: HatoModule = {
  name: "p2p-guard",
  load(api) {
    const allowed = api.config.files.peerToPeer;
    const local = (j: { local: string; domain: string }) =>
      j.local !== "" && j.domain === api.domain ? j.local : undefined;
    const requires = (user: string | undefined) =>
      user !== undefined && api.policy.current.forUser(user).rules.files.scanningRequired;
    api.hook(
      "pre-route",
      (ev) => {
        const { stanza } = ev;
        if (stanza.name === "presence") return false;
        const protocol = directTransfer(stanza);
        if (protocol === undefined) return false;
        const where = { from: ev.from.toString(), to: ev.to.toString(), protocol };
        const type = stanza.attr("type");
        const answer = type === "error" || (stanza.name === "iq" && type === "result");
        let text = REFUSAL_TEXT;
        if (allowed) {
          // Only the sender's session speaks for the sender; the server's own stanzas pass.
          const sender = ev.origin === undefined ? undefined : local(ev.from);
          const recipient = local(ev.to);
          if (requires(sender)) text = SCANNING_REQUIRED_TEXT;
          else if (requires(recipient)) text = RECIPIENT_SCANNING_REQUIRED_TEXT;
          else return false;
          if (!answer) {
            const user = requires(sender) ? sender! : recipient!;
            void api.fire("policy-denied", { user, rule: "files", text });
          }
        }
        if (answer) {
          // Nobody answers an error or a result (RFC 6120 §8.3.1), so these are dropped: the
          // answer to a refused request cannot exist, and IBB data in a message of type error
          // would otherwise be a way around the refusal.
          api.log.warn("direct file transfer payload in an error or result dropped", where);
          return true;
        }
        api.log.info("direct file transfer refused", where);
        api.bounce(ev, new StanzaError("policy-violation", text, "modify"));
        return true;
      },
      Priority.POLICY,
    );
  },
};
