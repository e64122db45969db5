// What the audit log records from the server's events. Never passwords or message bodies.

import { type EventBus, Priority } from "../events.js";
import type { AuditLog } from "./log.js";

/** Hooks the audit log to the bus; returns a function that unhooks it. */
export function auditServerEvents(bus: EventBus, audit: AuditLog): () => void {
  const offs = [
    bus.on(
      "auth-succeeded",
      ({ username, address, mechanism }) => {
        audit.note("auth-succeeded", { actor: username, address, details: { mechanism } });
      },
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "auth-failed",
      ({ username, address, mechanism, condition }) => {
        const fields = { address, details: { mechanism, condition } };
        audit.note("auth-failed", username === undefined ? fields : { ...fields, actor: username });
      },
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "session-bound",
      ({ session }) => {
        audit.note("session-opened", {
          actor: session.username,
          address: session.address,
          details: { resource: session.resource, session: session.id },
        });
      },
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "session-closed",
      ({ session, reason }) => {
        audit.note("session-closed", {
          actor: session.username,
          address: session.address,
          details: { resource: session.resource, session: session.id, reason },
        });
      },
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "session-client",
      ({ session }) => {
        audit.note("session-client", {
          actor: session.username,
          address: session.address,
          details: { resource: session.resource, session: session.id, ...session.software },
        });
      },
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "upload-verdict",
      (v) => {
        const details: Record<string, unknown> = {
          name: v.name,
          size: v.size,
          sha256: v.sha256,
          verdict: v.verdict,
          engine: v.engine,
        };
        if (v.reason !== undefined) details.reason = v.reason;
        audit.note("upload-verdict", { actor: v.user, subject: v.slot, details });
      },
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "policy-denied",
      ({ user, rule, text, address, count }) => {
        const details: Record<string, unknown> = { rule, text };
        if (count !== undefined) details.count = count;
        const fields = { details, ...(address === undefined ? {} : { address }) };
        audit.note("policy-denied", user === "" ? fields : { ...fields, actor: user });
      },
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "policy-reloaded",
      ({ how, actor, ok, before, after, errors }) => {
        const by = actor === undefined ? {} : { actor };
        if (ok)
          audit.note("policy-changed", { ...by, details: { how, changes: diff(before, after) } });
        else audit.note("policy-change-refused", { ...by, details: { how, errors } });
      },
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "invite-created",
      ({ by, id, expiresAt, note }) =>
        audit.note("invite-created", {
          actor: by,
          subject: id,
          details: note === undefined ? { expiresAt } : { expiresAt, note },
        }),
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "invite-revoked",
      ({ by, id }) => audit.note("invite-revoked", { actor: by, subject: id }),
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "invite-redeemed",
      ({ id, username, address }) =>
        audit.note("invite-redeemed", { actor: username, subject: id, address }),
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "user-registered",
      ({ username, address }) => audit.note("user-registered", { actor: username, address }),
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "registration-refused",
      ({ address, reason, username, invite }) => {
        const details: Record<string, unknown> = { reason };
        if (username !== undefined) details.username = username;
        audit.note(
          "registration-refused",
          invite === undefined ? { address, details } : { address, subject: invite, details },
        );
      },
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "user-created",
      ({ username }) => audit.note("user-created", { subject: username }),
      Priority.OBSERVE,
      "audit",
    ),
    bus.on(
      "user-deleted",
      ({ username }) => audit.note("user-deleted", { subject: username }),
      Priority.OBSERVE,
      "audit",
    ),
  ];
  return () => {
    for (const off of offs) off();
  };
}

/** One setting that a policy change altered: its path, the old and the new value. */
interface Change {
  path: string;
  before?: unknown;
  after?: unknown;
}

/** The settings two policy documents differ in, leaf by leaf (lists compared whole). */
export function diff(before: unknown, after: unknown, path = ""): Change[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diff(before[k], after[k], path === "" ? k : `${path}.${k}`));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const change: Change = { path: path === "" ? "(whole policy)" : path };
  if (before !== undefined) change.before = before;
  if (after !== undefined) change.after = after;
  return [change];
}
