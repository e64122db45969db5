// XEP-0060 §4.5 access models of PEP nodes: open, presence, roster, whitelist (XEP-0163 §3).
import type { Jid } from "@hato/jid";
import type { RosterItem, Storage } from "@hato/storage";
import type { NodeConfig } from "./config-form.js";
import { PubsubError } from "./errors.js";

/** Roster items of one owner, read at most once per JID for one request or notification. */
export type RosterLookup = (bareJid: string) => Promise<RosterItem | undefined>;

export function rosterLookup(storage: Storage, owner: string): RosterLookup {
  const seen = new Map<string, Promise<RosterItem | undefined>>();
  return (jid) => {
    let p = seen.get(jid);
    if (p === undefined) {
      p = storage.roster.item(owner, jid);
      seen.set(jid, p);
    }
    return p;
  };
}

const sharesPresence = (item: RosterItem | undefined) =>
  item !== undefined && (item.subscription === "from" || item.subscription === "both");

/** The members (whitelisted affiliates) of a node. */
export const membersOf = (config: NodeConfig): string[] =>
  Array.isArray(config.members) ? config.members : [];

/**
 * Whether `requester` (a bare JID) may retrieve items and get notifications of a node of
 * `ownerJid`; undefined when allowed, else the XEP-0060 §6.5.9 error to answer with.
 */
export async function accessError(
  ownerJid: Jid,
  config: NodeConfig,
  requester: Jid,
  roster: RosterLookup,
): Promise<PubsubError | undefined> {
  if (requester.equals(ownerJid)) return undefined;
  const bare = requester.toString();
  if (membersOf(config).includes(bare)) return undefined;
  switch (config.access_model ?? "presence") {
    case "open":
      return undefined;
    case "presence":
      if (sharesPresence(await roster(bare))) return undefined;
      return new PubsubError(
        "not-authorized",
        "presence-subscription-required",
        "this node is only for contacts with a presence subscription to its owner",
      );
    case "roster": {
      const item = await roster(bare);
      const allowed = config.roster_groups_allowed;
      const groups = Array.isArray(allowed) ? allowed : [];
      if (sharesPresence(item) && item!.groups.some((g) => groups.includes(g))) return undefined;
      return new PubsubError(
        "not-authorized",
        "not-in-roster-group",
        "this node is only for contacts in certain roster groups of its owner",
      );
    }
    default:
      return new PubsubError(
        "not-allowed",
        "closed-node",
        "this node is only for its owner and the JIDs on its whitelist",
      );
  }
}
