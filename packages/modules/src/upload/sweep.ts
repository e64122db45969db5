// Expiry: unused slots after `upload.slot-seconds` (their reserved quota comes back) and files
// after `upload.expire-days`, bytes and metadata together; and an account's files when it goes.

import type { UploadService } from "./service.js";

const BATCH = 500;

/** Deletes what is due; returns how many slots and files went. */
export async function sweepExpired(svc: UploadService): Promise<number> {
  const now = Date.now();
  const days = svc.settings.expireDays;
  let removed = 0;
  for (;;) {
    const due = await svc.api.storage.files.expired({
      slotsBefore: new Date(now),
      filesBefore: days > 0 ? new Date(now - days * 86_400_000) : undefined,
      limit: BATCH,
    });
    const idle = due.filter((f) => !svc.inFlight.has(f.id));
    for (const f of idle) await svc.discard(f);
    removed += idle.length;
    if (due.length < BATCH || idle.length === 0) break;
  }
  if (removed > 0) svc.log.info("expired uploads deleted", { count: removed });
  return removed;
}

/** Deletes every slot and file of an account. */
export async function deleteUserFiles(svc: UploadService, user: string): Promise<void> {
  for (const f of await svc.api.storage.files.list(user))
    if (!svc.inFlight.has(f.id)) await svc.discard(f);
}
