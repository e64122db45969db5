// Runs the storage contract against the in-memory adapter.

import { runStorageContract } from "./contract.js";
import { openMemoryStorage } from "./memory.js";

runStorageContract("memory", openMemoryStorage);
