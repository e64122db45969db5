// 1:1 chat (RFC 6121 §5): messages, XEP-0184 receipts, XEP-0333 markers, XEP-0308
// corrections, XEP-0085 chat states, XEP-0359 ids, XEP-0280 carbons.

import { type Element, xml } from "@hato/xml";
import { encryptedFileOf } from "./encrypted-files/link.js";
import { bare } from "./jid.js";
import {
  NS_CARBONS,
  NS_CHATSTATES,
  NS_CORRECT,
  NS_DELAY,
  NS_FORWARD,
  NS_HINTS,
  NS_MARKERS,
  NS_RECEIPTS,
  NS_SID,
  NS_STANZAS,
} from "./ns.js";
import { randomId } from "./platform.js";
import { type Kept, type MessageStore, snapshot } from "./store.js";
import type { ChatMessage, ChatState, EncryptedFileInfo, FileInfo } from "./types.js";
import { fileOf, oobElement } from "./upload.js";

const CHAT_STATES = new Set<ChatState>(["active", "composing", "paused", "inactive", "gone"]);
const STATE_RANK = { pending: 0, sent: 1, delivered: 2, displayed: 3 } as const;

/** What the chat logic needs from the client. */
export interface ChatHost {
  self(): string;
  send(el: Element, acked?: () => void): void;
  /** Whether a receipt may go to this bare JID (a contact, or ourselves). */
  mayReceipt(peer: string): boolean;
  message(m: ChatMessage): void;
  updated(m: ChatMessage): void;
  chatState(peer: string, s: ChatState): void;
  error(text: string): void;
}

/** How a message reached us. */
export type Route = "live" | "carbon-sent" | "carbon-received";

/** The id the other side refers to: the stanza id, or the origin-id when there is none. */
export function messageId(m: Element): string | undefined {
  return m.attr("id") || m.getChild("origin-id", NS_SID)?.attr("id") || undefined;
}

/** The XEP-0359 stanza-id our own server stamped (`by` = our bare JID), if any. */
export function archiveIdOf(m: Element, self: string): string | undefined {
  for (const s of m.getChildren("stanza-id", NS_SID))
    if (bare(s.attr("by") ?? "") === self) return s.attr("id");
  return undefined;
}

/** The XEP-0203 delay stamp, if valid. */
export function delayOf(el: Element): Date | undefined {
  const stamp = el.getChild("delay", NS_DELAY)?.attr("stamp");
  const t = stamp === undefined ? Number.NaN : Date.parse(stamp);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** What decryption made of a message: its real body, or why there is none. */
export interface Content {
  body: string | undefined;
  encryption: "omemo" | "none" | "failed";
  problem?: string;
}

/**
 * A top-level <message/> and how it reached us, carbons unwrapped (XEP-0280 §11: a carbon is
 * genuine only when our own bare JID sent it); undefined for a forged or empty carbon.
 */
export function unwrap(m: Element, self: string): { msg: Element; route: Route } | undefined {
  for (const dir of ["sent", "received"] as const) {
    const wrap = m.getChild(dir, NS_CARBONS);
    if (wrap === undefined) continue;
    if (bare(m.attr("from") ?? self) !== self) return undefined;
    const inner = wrap.getChild("forwarded", NS_FORWARD)?.getChild("message");
    if (inner === undefined) return undefined;
    return { msg: inner, route: dir === "sent" ? "carbon-sent" : "carbon-received" };
  }
  return { msg: m, route: "live" };
}

/** Applies receipts, markers, corrections and new bodies to the message store. */
export class Chat {
  constructor(
    private readonly host: ChatHost,
    private readonly store: MessageStore,
  ) {}

  /** A top-level <message/> from the server (carbons unwrapped here, from our own account only). */
  stanza(m: Element): void {
    const u = unwrap(m, this.host.self());
    if (u !== undefined) this.process(u.msg, u.route);
  }

  /** One message stanza as it concerns a 1:1 chat; `content` replaces its body when decrypted. */
  process(m: Element, route: Route, content?: Content): void {
    const self = this.host.self();
    const type = m.attr("type") ?? "normal";
    const outgoing = route === "carbon-sent";
    const peer = bare((outgoing ? m.attr("to") : m.attr("from")) ?? "");
    if (peer === "" || type === "groupchat" || type === "headline") return;
    if (type === "error") {
      if (route !== "live") return;
      const err = m.getChild("error");
      const cond = err?.elements().find((c) => c.xmlns === NS_STANZAS && c.name !== "text")?.name;
      this.host.error(`message to ${peer} failed: ${cond ?? "error"}`);
      return;
    }
    const sender = outgoing ? self : peer;
    if (!outgoing) {
      const state = m
        .elements()
        .find((c) => c.xmlns === NS_CHATSTATES && CHAT_STATES.has(c.name as ChatState));
      if (state !== undefined) this.host.chatState(peer, state.name as ChatState);
      const receipt = m.getChild("received", NS_RECEIPTS)?.attr("id");
      if (receipt !== undefined) this.advance(peer, receipt, "delivered", false);
      const shown = m.getChild("displayed", NS_MARKERS)?.attr("id");
      if (shown !== undefined) this.advance(peer, shown, "displayed", true);
    }
    const body = content === undefined ? m.getChildText("body") : content.body;
    const id = messageId(m);
    if (body !== undefined) {
      const replace = m.getChild("replace", NS_CORRECT)?.attr("id");
      if (replace !== undefined && content?.encryption !== "failed")
        this.correction(peer, sender, replace, id, body, content);
      else this.fresh(m, { peer, sender, outgoing, body, id, self, content });
    }
    // XEP-0184 §5.4: only to requests in messages addressed to us (never carbons), with an id.
    if (
      route === "live" &&
      m.getChild("request", NS_RECEIPTS) !== undefined &&
      m.attr("id") &&
      this.host.mayReceipt(peer)
    ) {
      this.host.send(
        xml(
          "message",
          { to: m.attr("from"), id: randomId(), type: type === "chat" ? "chat" : undefined },
          xml("received", { xmlns: NS_RECEIPTS, id: m.attr("id") }),
        ),
      );
    }
  }

  private fresh(
    m: Element,
    a: {
      peer: string;
      sender: string;
      outgoing: boolean;
      body: string;
      id: string | undefined;
      self: string;
      content: Content | undefined;
    },
  ): void {
    const archiveId = archiveIdOf(m, a.self);
    const file = fileOf(m, a.body);
    // Only a decrypted body can carry a file key that was secret on the way.
    const encryptedFile = a.content?.encryption === "omemo" ? encryptedFileOf(a.body) : undefined;
    const k: Kept = {
      id: a.id ?? randomId(),
      peer: a.peer,
      outgoing: a.outgoing,
      body: a.body,
      time: delayOf(m) ?? new Date(),
      sender: a.sender,
      aliases: [],
      ...(archiveId !== undefined ? { archiveId } : {}),
      ...(a.outgoing ? { state: "sent" as const } : {}),
      ...(file !== undefined ? { file } : {}),
      ...(encryptedFile !== undefined ? { encryptedFile } : {}),
      ...(a.content !== undefined ? { encryption: a.content.encryption } : {}),
      ...(a.content?.problem !== undefined ? { problem: a.content.problem } : {}),
    };
    // A resent copy (after a lost acknowledgement) has the id we already keep: show it once.
    if (this.store.add(k)) this.host.message(snapshot(k));
    else this.decryptedLater(k);
  }

  /**
   * An archive page loaded while this message was still being decrypted keeps the archive's
   * copy, which could not show the text: the decrypted message replaces it.
   */
  private decryptedLater(k: Kept): void {
    const known = this.store.find(k.peer, k.id, k.outgoing);
    if (known?.encryption !== "failed" || k.encryption !== "omemo") return;
    known.body = k.body;
    known.encryption = "omemo";
    delete known.problem;
    if (k.file !== undefined) known.file = k.file;
    this.host.updated(snapshot(known));
  }

  /** XEP-0308: applied only when the correction comes from whoever sent the original. */
  private correction(
    peer: string,
    sender: string,
    replaces: string,
    id: string | undefined,
    body: string,
    content: Content | undefined,
  ): void {
    const k = this.store.find(peer, replaces);
    if (k === undefined || k.sender !== sender) return;
    if (id !== undefined && (id === k.id || k.aliases.includes(id))) return; // a resent correction
    k.body = body;
    k.corrected = true;
    // The text shown is the correction's: a plaintext correction of an encrypted message is
    // not encrypted, whatever the original was.
    if (content !== undefined) k.encryption = content.encryption;
    // A file message corrected into other text is text from now on.
    if (k.file !== undefined && k.file.url !== body.trim()) delete k.file;
    if (k.encryptedFile !== undefined && k.encryptedFile.link !== body.trim())
      delete k.encryptedFile;
    if (id !== undefined) this.store.alias(k, id);
    this.host.updated(snapshot(k));
  }

  /** Moves an outgoing message (and, for displayed, every earlier one) forward in state. */
  private advance(peer: string, id: string, to: "delivered" | "displayed", earlier: boolean): void {
    const k = this.store.find(peer, id, true);
    if (k === undefined) return;
    for (const m of earlier ? this.store.outgoingUpTo(k) : [k]) {
      if (m.state !== undefined && STATE_RANK[m.state] >= STATE_RANK[to]) {
        if (m !== k) break; // everything before it was moved already
        continue;
      }
      m.state = to;
      this.host.updated(snapshot(m));
    }
  }

  /**
   * Sends a chat message requesting a receipt and markers; returns it as kept ("pending"). With
   * `file`, the body is its URL and an x:oob element carries the URL too (XEP-0066). With
   * `encrypted`, the stanza carries the fallback body and the OMEMO elements; "plain" marks a
   * message sent unencrypted by a client that has OMEMO on.
   */
  send(
    peer: string,
    body: string,
    file?: FileInfo,
    encrypted?: { fallback: string; elements: Element[] } | "plain",
    encryptedFile?: EncryptedFileInfo,
  ): ChatMessage {
    const sealed = encrypted === "plain" ? undefined : encrypted;
    const id = randomId();
    const k: Kept = {
      id,
      peer,
      outgoing: true,
      body,
      time: new Date(),
      state: "pending",
      sender: this.host.self(),
      aliases: [],
      ...(file !== undefined ? { file: { ...file } } : {}),
      ...(encryptedFile !== undefined ? { encryptedFile: { ...encryptedFile } } : {}),
      ...(sealed !== undefined ? { encryption: "omemo" as const } : {}),
      ...(encrypted === "plain" ? { encryption: "none" as const } : {}),
    };
    this.store.add(k);
    const el = xml(
      "message",
      { type: "chat", to: peer, id },
      xml("body", null, sealed?.fallback ?? body),
      ...(sealed?.elements ?? []),
      file !== undefined && oobElement(file.url),
      xml("origin-id", { xmlns: NS_SID, id }),
      xml("request", { xmlns: NS_RECEIPTS }),
      xml("markable", { xmlns: NS_MARKERS }),
      xml("active", { xmlns: NS_CHATSTATES }),
    );
    this.host.send(el, () => this.acked(k));
    const snap = snapshot(k);
    this.host.message(snap);
    return snap;
  }

  /** The server acknowledged (XEP-0198) an outgoing message. */
  private acked(k: Kept): void {
    if (k.state !== "pending") return;
    k.state = "sent";
    this.host.updated(snapshot(k));
  }

  /** XEP-0308: replaces the body of our message `id` to `peer` (`encrypted` as for send()); returns the correction's id. */
  correct(
    peer: string,
    id: string,
    body: string,
    encrypted?: { fallback: string; elements: Element[] } | "plain",
  ): string {
    const k = this.store.find(peer, id, true);
    if (k === undefined) throw new Error(`no message ${id} to ${peer} to correct`);
    const sealed = encrypted === "plain" ? undefined : encrypted;
    const cid = randomId();
    this.host.send(
      xml(
        "message",
        { type: "chat", to: peer, id: cid },
        xml("body", null, sealed?.fallback ?? body),
        ...(sealed?.elements ?? []),
        xml("replace", { xmlns: NS_CORRECT, id: k.id }),
        xml("origin-id", { xmlns: NS_SID, id: cid }),
      ),
    );
    k.body = body;
    k.corrected = true;
    // The text shown is the correction's: so is its encryption state.
    if (encrypted !== undefined) k.encryption = sealed === undefined ? "none" : "omemo";
    this.store.alias(k, cid);
    this.host.updated(snapshot(k));
    return cid;
  }

  /** XEP-0085 standalone notification (not archived). */
  chatState(peer: string, state: ChatState): void {
    this.host.send(
      xml(
        "message",
        { type: "chat", to: peer, id: randomId() },
        xml(state, { xmlns: NS_CHATSTATES }),
        xml("no-store", { xmlns: NS_HINTS }),
      ),
    );
  }

  /** XEP-0333: tells the peer we displayed its message `id`. */
  markDisplayed(peer: string, id: string): void {
    this.host.send(
      xml(
        "message",
        { type: "chat", to: peer, id: randomId() },
        xml("displayed", { xmlns: NS_MARKERS, id }),
        xml("store", { xmlns: NS_HINTS }),
      ),
    );
  }
}
