// The tamper-evident audit log: chain, writer, what the server records.

export * from "./chain.js";
export * from "./events.js";
export * from "./log.js";
