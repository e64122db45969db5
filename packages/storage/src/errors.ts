// Storage error registry: stable HATO_ERR_STORAGE_* codes for failures callers must tell apart.

export const storageErrors = {
  HATO_ERR_STORAGE_CLOSED: "storage is closed",
  HATO_ERR_STORAGE_INVALID_ARGUMENT: "invalid argument to storage",
  HATO_ERR_STORAGE_SCHEMA_TOO_NEW: "database schema is newer than this version of Hato knows",
  HATO_ERR_STORAGE_SCHEMA_TOO_OLD:
    "database schema needs migrating, which a read-only open cannot do",
  HATO_ERR_STORAGE_CORRUPT: "stored data is inconsistent",
} as const;

export type StorageErrorCode = keyof typeof storageErrors;

/** An error raised by a storage adapter, with a stable code. */
export class StorageError extends Error {
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, detail?: string) {
    super(detail === undefined ? storageErrors[code] : `${storageErrors[code]}: ${detail}`);
    this.name = "StorageError";
    this.code = code;
  }
}
