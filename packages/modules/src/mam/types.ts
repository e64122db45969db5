// Storage types the archive uses, taken from the module API so modules need no storage import.
import type { ModuleApi } from "@hato/core";

export type Storage = ModuleApi["storage"];
type Archive = Storage["archive"];
export type ArchivedMessage = Parameters<Archive["append"]>[1];
export type ArchiveQuery = Parameters<Archive["query"]>[1];
