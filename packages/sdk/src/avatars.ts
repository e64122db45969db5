// Avatars: XEP-0084 (PEP metadata notifications, data fetched by id), with XEP-0153 vCard
// photos as the fallback. Bytes are exposed only when their SHA-1 equals the advertised id.

import { type Element, xml } from "@hato/xml";
import { fromBase64, toBase64 } from "./base64.js";
import { bare } from "./jid.js";
import {
  NS_AVATAR_DATA,
  NS_AVATAR_METADATA,
  NS_PUBSUB,
  NS_PUBSUB_EVENT,
  NS_VCARD,
  NS_VCARD_UPDATE,
} from "./ns.js";
import { subtle } from "./platform.js";
import type { Contact } from "./types.js";

export const AVATAR_LIMITS = { bytes: 256 * 1024, inFlight: 4, queued: 200 };

type Avatar = NonNullable<Contact["avatar"]>;

/** Lower-case hex SHA-1 of bytes (the XEP-0084 item id and the XEP-0153 photo hash). */
export async function sha1Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await subtle().digest("SHA-1", bytes));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** What avatars need from the client. */
export interface AvatarHost {
  self(): string;
  request(type: "get" | "set", to: string | undefined, payload: Element): Promise<Element>;
  /** The live contact entry, when `jid` is on the roster. */
  contact(jid: string): Contact | undefined;
  changed(): void;
}

interface Job {
  jid: string;
  hash: string;
  type: string;
  via: "pep" | "vcard";
}

/** Tracks, fetches and verifies contacts' avatars. */
export class Avatars {
  private source = new Map<string, "pep" | "vcard">();
  private queue: Job[] = [];
  private running = new Set<string>();
  /** Our own verified avatar, as our PEP service announced it. */
  own: Avatar | undefined;

  constructor(private readonly host: AvatarHost) {}

  /** A <message/> with a PEP event; returns whether it was an avatar metadata event. */
  event(m: Element): boolean {
    const items = m.getChild("event", NS_PUBSUB_EVENT)?.getChild("items", NS_PUBSUB_EVENT);
    if (items?.attr("node") !== NS_AVATAR_METADATA) return false;
    const jid = bare(m.attr("from") ?? this.host.self());
    const isSelf = jid === this.host.self();
    const contact = this.host.contact(jid);
    if (contact === undefined && !isSelf) return true;
    const item = items.getChildren("item", NS_PUBSUB_EVENT).at(-1);
    const meta = item?.getChild("metadata", NS_AVATAR_METADATA);
    if (item === undefined || meta === undefined) return true;
    const info = meta
      .getChildren("info", NS_AVATAR_METADATA)
      .find((i) => i.attr("url") === undefined && i.attr("id") === item.attr("id"));
    this.source.set(jid, "pep");
    if (info === undefined) {
      // An empty <metadata/>: the avatar was removed.
      if (isSelf) this.own = undefined;
      else if (contact?.avatar !== undefined) {
        delete contact.avatar;
        this.host.changed();
      }
      return true;
    }
    const hash = (info.attr("id") ?? "").toLowerCase();
    const bytes = Number(info.attr("bytes"));
    if (!/^[0-9a-f]{40}$/.test(hash) || !(bytes > 0 && bytes <= AVATAR_LIMITS.bytes)) return true;
    if ((isSelf ? this.own : contact?.avatar)?.hash === hash) return true;
    this.enqueue({ jid, hash, type: info.attr("type") ?? "image/png", via: "pep" });
    return true;
  }

  /** A presence from a contact: XEP-0153's photo hash, used when the contact has no XEP-0084 avatar. */
  presence(p: Element): void {
    const hash = p.getChild("x", NS_VCARD_UPDATE)?.getChildText("photo")?.trim().toLowerCase();
    if (!hash || !/^[0-9a-f]{40}$/.test(hash)) return;
    const jid = bare(p.attr("from") ?? "");
    const contact = this.host.contact(jid);
    if (contact === undefined || this.source.get(jid) === "pep" || contact.avatar?.hash === hash)
      return;
    this.enqueue({ jid, hash, type: "image/png", via: "vcard" });
  }

  /** Publishes our avatar (XEP-0084: data node, then metadata node). */
  async publish(bytes: Uint8Array, type: string): Promise<void> {
    if (bytes.length === 0 || bytes.length > AVATAR_LIMITS.bytes) {
      throw new Error(`an avatar must be 1 to ${AVATAR_LIMITS.bytes} bytes`);
    }
    const id = await sha1Hex(bytes);
    const publish = (node: string, payload: Element) =>
      this.host.request(
        "set",
        undefined,
        xml("pubsub", { xmlns: NS_PUBSUB }, xml("publish", { node }, xml("item", { id }, payload))),
      );
    await publish(NS_AVATAR_DATA, xml("data", { xmlns: NS_AVATAR_DATA }, toBase64(bytes)));
    await publish(
      NS_AVATAR_METADATA,
      xml(
        "metadata",
        { xmlns: NS_AVATAR_METADATA },
        xml("info", { id, bytes: String(bytes.length), type }),
      ),
    );
    this.own = { type, bytes, hash: id };
  }

  private enqueue(job: Job): void {
    const key = `${job.jid} ${job.hash}`;
    if (this.running.has(key) || this.queue.some((j) => j.jid === job.jid && j.hash === job.hash))
      return;
    if (this.queue.length >= AVATAR_LIMITS.queued) return;
    this.queue.push(job);
    this.pump();
  }

  private pump(): void {
    while (this.running.size < AVATAR_LIMITS.inFlight && this.queue.length > 0) {
      const job = this.queue.shift()!;
      const key = `${job.jid} ${job.hash}`;
      this.running.add(key);
      void this.fetch(job)
        .catch(() => undefined) // a contact without a readable avatar simply has none
        .finally(() => {
          this.running.delete(key);
          this.pump();
        });
    }
  }

  private async fetch(job: Job): Promise<void> {
    let b64: string | undefined;
    let type = job.type;
    if (job.via === "pep") {
      const res = await this.host.request(
        "get",
        job.jid,
        xml(
          "pubsub",
          { xmlns: NS_PUBSUB },
          xml("items", { node: NS_AVATAR_DATA }, xml("item", { id: job.hash })),
        ),
      );
      const item = res
        .getChild("pubsub", NS_PUBSUB)
        ?.getChild("items", NS_PUBSUB)
        ?.getChildren("item", NS_PUBSUB)
        .find((i) => i.attr("id")?.toLowerCase() === job.hash);
      b64 = item?.getChildText("data", NS_AVATAR_DATA);
    } else {
      const res = await this.host.request("get", job.jid, xml("vCard", { xmlns: NS_VCARD }));
      const photo = res.getChild("vCard", NS_VCARD)?.getChild("PHOTO", NS_VCARD);
      b64 = photo?.getChildText("BINVAL", NS_VCARD);
      type = photo?.getChildText("TYPE", NS_VCARD)?.trim() || type;
    }
    const bytes = b64 === undefined ? undefined : fromBase64(b64, AVATAR_LIMITS.bytes);
    if (bytes === undefined || bytes.length === 0 || (await sha1Hex(bytes)) !== job.hash) return;
    if (!/^image\/[a-z0-9.+-]{1,40}$/i.test(type)) type = "image/png";
    const avatar = { type, bytes, hash: job.hash };
    if (job.jid === this.host.self()) {
      this.own = avatar;
      return;
    }
    const contact = this.host.contact(job.jid);
    if (contact === undefined) return;
    if (job.via === "vcard" && this.source.get(job.jid) === "pep") return; // XEP-0084 won meanwhile
    contact.avatar = avatar;
    this.host.changed();
  }
}
