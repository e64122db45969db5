// XEP-0398: XEP-0084 avatars copied into vcard-temp (XEP-0153) and back, hash in presence.
import { createHash } from "node:crypto";
import { type ModuleApi, Priority } from "@hato/core";
import { type Element, parseElement, serialize, xml } from "@hato/xml";
import { NS_AVATAR_DATA, NS_AVATAR_METADATA, NS_VCARD, NS_VCARD_UPDATE } from "./ns.js";
import type { PepService } from "./service.js";

const sha1 = (b: Buffer) => createHash("sha1").update(b).digest("hex");
const decode = (b64: string) => Buffer.from(b64.replace(/\s+/g, ""), "base64");

/** The SHA-1 of a vCard's PHOTO, "" when it has none (XEP-0153 §4.1). */
function photoHash(vcard: Element | undefined): string {
  const bin = vcard?.getChild("PHOTO", NS_VCARD)?.getChildText("BINVAL", NS_VCARD);
  return bin ? sha1(decode(bin)) : "";
}

/** Adds or replaces `<x xmlns='vcard-temp:x:update'>` as XEP-0398 §4 says, in place. */
function decorate(presence: Element, hash: string): void {
  const x = presence.getChild("x", NS_VCARD_UPDATE);
  const photo = x?.getChild("photo", NS_VCARD_UPDATE);
  // A client that says "no avatar" with an empty <photo/> keeps its word.
  if (photo !== undefined && photo.text() === "") return;
  presence.removeChildren((c) => c.name === "x" && c.xmlns === NS_VCARD_UPDATE);
  presence.append(
    xml(
      "x",
      { xmlns: NS_VCARD_UPDATE },
      xml("photo", { xmlns: NS_VCARD_UPDATE }, hash || undefined),
    ),
  );
}

/** Registers the avatar conversion and the presence decorator. */
export function registerAvatarConversion(api: ModuleApi, pep: PepService): void {
  const hashes = new Map<string, string>();

  const readVcard = async (owner: string): Promise<Element | undefined> => {
    const text = await api.storage.kv.get("vcard", owner, "vcard");
    if (text === undefined) return undefined;
    try {
      return parseElement(text);
    } catch {
      return undefined;
    }
  };

  // PEP → vCard (§3.1): the metadata's first info without a url names an item of the data node.
  pep.onPublished.push(async (p) => {
    if (p.origin !== "client" || p.node !== NS_AVATAR_METADATA) return;
    const infos = p.payload.getChildren("info", NS_AVATAR_METADATA);
    const vcard = (await readVcard(p.owner)) ?? xml("vCard", { xmlns: NS_VCARD });
    vcard.removeChildren((c) => c.name === "PHOTO");
    let hash = "";
    if (infos.length > 0) {
      const info = infos.find((i) => i.attr("url") === undefined);
      const id = info?.attr("id");
      if (info === undefined || id === undefined) return;
      const [data] = await pep.items(p.owner, NS_AVATAR_DATA, { ids: [id] });
      if (data === undefined) return;
      const b64 = parseElement(data.payload).text().replace(/\s+/g, "");
      if (sha1(decode(b64)) !== id.toLowerCase()) {
        api.log.warn("avatar not copied to vCard: its SHA-1 does not match its id", { id });
        return;
      }
      vcard.append(
        xml(
          "PHOTO",
          { xmlns: NS_VCARD },
          xml("TYPE", { xmlns: NS_VCARD }, info.attr("type") ?? "image/png"),
          xml("BINVAL", { xmlns: NS_VCARD }, b64),
        ),
      );
      hash = id.toLowerCase();
    }
    await api.storage.kv.set("vcard", p.owner, "vcard", serialize(vcard));
    hashes.set(p.owner, hash);
  });

  // vCard → PEP (§3.2): data first, then metadata with one info.
  api.hook("vcard-updated", async ({ username, vcard }) => {
    const hash = photoHash(vcard);
    hashes.set(username, hash);
    try {
      if (hash === "") {
        const [meta] = await pep.items(username, NS_AVATAR_METADATA, { max: 1 });
        if (meta !== undefined && parseElement(meta.payload).elements().length > 0) {
          await pep.publish(
            username,
            NS_AVATAR_METADATA,
            undefined,
            xml("metadata", { xmlns: NS_AVATAR_METADATA }),
            {
              origin: "sync",
            },
          );
        }
        return;
      }
      // Saving a vCard with the same photo again publishes nothing new.
      const [current] = await pep.items(username, NS_AVATAR_METADATA, { max: 1 });
      if (current?.id === hash) return;
      const photo = vcard.getChild("PHOTO", NS_VCARD)!;
      const bin = decode(photo.getChildText("BINVAL", NS_VCARD) ?? "");
      const type = photo.getChildText("TYPE", NS_VCARD)?.trim() || "image/png";
      await pep.publish(
        username,
        NS_AVATAR_DATA,
        hash,
        xml("data", { xmlns: NS_AVATAR_DATA }, bin.toString("base64")),
        { origin: "sync" },
      );
      await pep.publish(
        username,
        NS_AVATAR_METADATA,
        hash,
        xml(
          "metadata",
          { xmlns: NS_AVATAR_METADATA },
          xml("info", { bytes: String(bin.length), id: hash, type }),
        ),
        { origin: "sync" },
      );
    } catch (err) {
      api.log.warn("vCard avatar not published to PEP", { username, err });
    }
  });

  // Read the hash when a session binds, so that its first presence rarely waits for storage.
  api.hook("session-bound", ({ session }) => {
    if (hashes.has(session.username)) return;
    readVcard(session.username).then(
      (v) => {
        if (!hashes.has(session.username)) hashes.set(session.username, photoHash(v));
      },
      (err) => api.log.warn("vCard not read", { err }),
    );
  });

  // §4: every available presence carries the hash; the presence module sends it afterwards.
  api.hook(
    "presence-broadcast",
    ({ session, stanza }) => {
      if (stanza.attr("type") !== undefined) return;
      const known = hashes.get(session.username);
      if (known !== undefined) {
        decorate(stanza, known);
        return;
      }
      return readVcard(session.username).then((v) => {
        const hash = hashes.get(session.username) ?? photoHash(v);
        hashes.set(session.username, hash);
        decorate(stanza, hash);
        return false;
      });
    },
    Priority.POLICY - 1,
  );
  // Directed presence (MUC joins) gets the hash too, when it is known already.
  api.hook(
    "pre-route",
    (ev) => {
      const s = ev.stanza;
      if (s.name !== "presence" || ev.origin === undefined || s.attr("type") !== undefined) return;
      const known = hashes.get(ev.origin.username);
      if (known !== undefined) decorate(s, known);
    },
    Priority.OBSERVE,
  );
  api.hook("session-closed", ({ session }) => {
    if (api.sessions.countOfUser(session.username) <= 1) hashes.delete(session.username);
  });
}
