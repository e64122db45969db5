// Files the user picked or dropped go to the store's upload, one at a time per file.
import type { ChatStore } from "../state/store.js";
import { xhrPut } from "./xhr-put.js";

/** Uploads each file and shares it with `peer`. */
export function attachFiles(store: ChatStore, peer: string, files: Iterable<File>): void {
  for (const f of files)
    void store.attach(peer, { name: f.name, size: f.size, type: f.type, body: f }, xhrPut);
}
