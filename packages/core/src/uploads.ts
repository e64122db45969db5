// Where uploaded files' bytes live in the data folder, and deleting a file with its bytes:
// shared by the upload module, retention and account deletion (also from the CLI, no server).

import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { FileRecord, Storage } from "@hato/storage";

/** Files' folders under `<data>/uploads/`: bytes arriving, released, and quarantined. */
export interface UploadFolders {
  incoming: string;
  files: string;
  quarantine: string;
}

/** The upload folders of a data folder. */
export function uploadFolders(data: string): UploadFolders {
  const root = join(data, "uploads");
  return {
    incoming: join(root, "incoming"),
    files: join(root, "files"),
    quarantine: join(root, "quarantine"),
  };
}

/** The bytes of a file in one of its folders. */
export function uploadPath(folders: UploadFolders, where: keyof UploadFolders, id: string): string {
  return join(folders[where], where === "incoming" ? `${id}.part` : id);
}

/** Deletes a slot's bytes wherever they are (quarantine too), then its record. */
export async function deleteUpload(
  storage: Storage,
  folders: UploadFolders,
  file: FileRecord,
): Promise<void> {
  for (const where of ["incoming", "files", "quarantine"] as const)
    await rm(uploadPath(folders, where, file.id), { force: true });
  await storage.files.delete(file.id);
}
