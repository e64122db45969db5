// Argument checks shared by all adapters, so each one accepts and refuses exactly the same inputs.

import { StorageError } from "./errors.js";
import type {
  Account,
  AccountChanges,
  ArchivedMessage,
  ArchiveQuery,
  OfflineLimits,
  PubsubItem,
  PubsubNode,
  RosterItem,
  StoredScram,
} from "./ports.js";

// Lone surrogates cannot round-trip through UTF-8 (SQLite would turn two different names into
// the same U+FFFD one) and PostgreSQL refuses NUL in text, so no adapter stores either.
const UNSTORABLE = /[\0\p{Cs}]/u;

function invalid(detail: string): never {
  throw new StorageError("HATO_ERR_STORAGE_INVALID_ARGUMENT", detail);
}

/** Checks that `value` is a string every backend stores unchanged. */
export function checkText(what: string, value: unknown): asserts value is string {
  if (typeof value !== "string") invalid(`${what} must be a string`);
  if (UNSTORABLE.test(value)) invalid(`${what} contains NUL or a lone surrogate`);
}

/** Checks an account username (non-empty: "" means the host in the key-value store). */
export function checkUsername(username: unknown): asserts username is string {
  checkText("username", username);
  if (username === "") invalid("username must not be empty");
}

/** Checks a key-value store name (non-empty) and owner ("" for the host). */
export function checkKvOwner(store: unknown, username: unknown): asserts username is string {
  checkText("store", store);
  if (store === "") invalid("store name must not be empty");
  checkText("username", username);
}

/** Checks a required count limit: a non-negative integer. */
export function checkCount(what: string, n: unknown): asserts n is number {
  if (n === undefined) invalid(`${what} is required`);
  checkLimit(what, n);
}

/** Checks an optional count limit: undefined or a non-negative integer. */
export function checkLimit(what: string, limit: unknown): asserts limit is number | undefined {
  if (limit !== undefined && !(Number.isSafeInteger(limit) && (limit as number) >= 0)) {
    invalid(`${what} must be a non-negative integer`);
  }
}

/** Checks a date that will be stored with millisecond precision. */
export function checkDate(what: string, date: unknown): asserts date is Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime()))
    invalid(`${what} must be a valid Date`);
}

function checkScramEntry(what: string, s: StoredScram | undefined): void {
  if (typeof s !== "object" || s === null) invalid(`${what} is missing`);
  if (!Number.isSafeInteger(s.iterations) || s.iterations < 1) invalid(`${what}.iterations`);
  for (const field of ["salt", "storedKey", "serverKey"] as const) {
    if (!Buffer.isBuffer(s[field])) invalid(`${what}.${field} must be a Buffer`);
  }
}

/** Checks both SCRAM verifiers. */
export function checkScram(scram: Account["scram"]): void {
  if (typeof scram !== "object" || scram === null) invalid("scram is missing");
  checkScramEntry("scram.sha1", scram.sha1);
  checkScramEntry("scram.sha256", scram.sha256);
}

/** Checks a role list. */
export function checkRoles(roles: unknown): asserts roles is string[] {
  if (!Array.isArray(roles)) invalid("roles must be an array");
  for (const role of roles) checkText("role", role);
}

/** Checks a whole account before it is created. */
export function checkAccount(account: Account): void {
  if (typeof account !== "object" || account === null) invalid("account is missing");
  checkUsername(account.username);
  checkDate("createdAt", account.createdAt);
  checkScram(account.scram);
  checkRoles(account.roles);
  checkChanges({ disabled: account.disabled });
}

/** Checks the changes passed to AccountStore.update. */
export function checkChanges(changes: AccountChanges): void {
  if (typeof changes !== "object" || changes === null) invalid("changes are missing");
  if (changes.roles !== undefined) checkRoles(changes.roles);
  if (changes.disabled !== undefined && typeof changes.disabled !== "boolean") {
    invalid("disabled must be a boolean");
  }
}

/** Checks offline quotas: non-negative numbers (Infinity means no limit). */
export function checkLimits(limits: OfflineLimits): void {
  if (typeof limits !== "object" || limits === null) invalid("limits are missing");
  for (const field of ["maxPerUser", "maxBytesPerUser"] as const) {
    const v = limits[field];
    if (typeof v !== "number" || Number.isNaN(v) || v < 0) invalid(`limits.${field}`);
  }
}

/** Checks an offline message id (adapters hand out ids of these types only). */
export function checkId(id: unknown): asserts id is number | string {
  if (typeof id !== "number" && typeof id !== "string") invalid("message id");
}

/** Orders strings by Unicode code point, as SQLite BINARY and PostgreSQL COLLATE "C" do. */
export function compareCodePoints(a: string, b: string): number {
  // JS `<` compares UTF-16 code units, which puts U+10000.. before U+E000..U+FFFF.
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** UTF-8 size of a stanza, the unit of the offline byte quota. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

const SUBSCRIPTIONS = new Set(["none", "to", "from", "both"]);

/** Checks a non-empty key: a roster JID, an archive or item id, a node name. */
export function checkName(what: string, value: unknown): asserts value is string {
  checkText(what, value);
  if (value === "") invalid(`${what} must not be empty`);
}

/** Checks an id filter; "" is allowed there (it matches nothing), as clients send what they like. */
export function checkIds(ids: unknown): asserts ids is string[] {
  if (!Array.isArray(ids)) invalid("ids must be an array");
  for (const id of ids) checkText("id", id);
}

/** Checks a roster item written under key `jid`. */
export function checkRosterItem(jid: string, item: RosterItem): void {
  if (typeof item !== "object" || item === null) invalid("roster item is missing");
  checkName("item.jid", item.jid);
  if (item.jid !== jid) invalid("item.jid must equal the jid it is written under");
  if (item.name !== undefined) checkText("item.name", item.name);
  if (!SUBSCRIPTIONS.has(item.subscription)) invalid("item.subscription");
  for (const flag of ["ask", "approved"] as const) {
    if (item[flag] !== undefined && typeof item[flag] !== "boolean") invalid(`item.${flag}`);
  }
  if (!Array.isArray(item.groups)) invalid("item.groups must be an array");
  for (const g of item.groups) checkText("group", g);
  // RFC 6121 §2.3.3 makes duplicate groups a bad-request; storing them would be a caller bug.
  if (new Set(item.groups).size !== item.groups.length) invalid("item.groups has duplicates");
}

/** Checks a message before it is archived. */
export function checkArchived(msg: ArchivedMessage): void {
  if (typeof msg !== "object" || msg === null) invalid("message is missing");
  checkName("id", msg.id);
  checkName("with", msg.with);
  checkText("stanza", msg.stanza);
  checkDate("stamp", msg.stamp);
}

/** Checks an archive query. */
export function checkArchiveQuery(q: ArchiveQuery): void {
  if (typeof q !== "object" || q === null) invalid("query is missing");
  if (q.with !== undefined) checkText("with", q.with);
  if (q.start !== undefined) checkDate("start", q.start);
  if (q.end !== undefined) checkDate("end", q.end);
  if (q.after !== undefined) checkText("after", q.after);
  if (q.before !== undefined && q.before !== true) checkText("before", q.before);
  if (q.ids !== undefined) checkIds(q.ids);
  checkCount("limit", q.limit);
}

/** Checks a pubsub node before it is stored. */
export function checkNode(node: PubsubNode): void {
  if (typeof node !== "object" || node === null) invalid("node is missing");
  checkName("node.name", node.name);
  if (typeof node.config !== "object" || node.config === null || Array.isArray(node.config)) {
    invalid("node.config must be an object");
  }
  for (const [k, v] of Object.entries(node.config)) {
    checkText("config key", k);
    if (Array.isArray(v)) for (const x of v) checkText(`config ${k}`, x);
    else checkText(`config ${k}`, v);
  }
}

/** Checks the options of PubsubStore.items. */
export function checkItemsOptions(opts: unknown): asserts opts is { ids?: string[]; max?: number } {
  if (typeof opts !== "object" || opts === null) invalid("options must be an object");
  const o = opts as { ids?: unknown; max?: unknown };
  checkLimit("max", o.max);
  if (o.ids !== undefined) checkIds(o.ids);
}

/** Checks a pubsub item before it is published. */
export function checkItem(item: PubsubItem): void {
  if (typeof item !== "object" || item === null) invalid("item is missing");
  checkName("item.id", item.id);
  checkText("item.payload", item.payload);
  checkText("item.publisher", item.publisher);
  checkDate("item.stamp", item.stamp);
}
