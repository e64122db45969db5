// Storage contract: the node:test suite every adapter must pass; only calling it defines tests.

import { describe } from "node:test";
import { accountTests } from "./contract/accounts.js";
import { archiveTests } from "./contract/archive.js";
import { archivePagingTests } from "./contract/archive-paging.js";
import { auditTests } from "./contract/audit.js";
import { facadeTests } from "./contract/facade.js";
import { filesTests } from "./contract/files.js";
import type { OpenStorage } from "./contract/fixtures.js";
import { keylogTests } from "./contract/keylog.js";
import { kvTests } from "./contract/kv.js";
import { offlineTests } from "./contract/offline.js";
import { pubsubTests } from "./contract/pubsub.js";
import { rosterTests } from "./contract/roster.js";

export type { OpenStorage } from "./contract/fixtures.js";

/** Defines the contract tests for one adapter; `open` must return a fresh, empty storage each call. */
export function runStorageContract(name: string, open: OpenStorage): void {
  describe(`storage contract: ${name}`, () => {
    describe("accounts", () => accountTests(open));
    describe("offline messages", () => offlineTests(open));
    describe("key-value", () => kvTests(open));
    describe("rosters", () => rosterTests(open));
    describe("message archives", () => archiveTests(open));
    describe("message archive paging", () => archivePagingTests(open));
    describe("pubsub nodes", () => pubsubTests(open));
    describe("upload files", () => filesTests(open));
    describe("audit log", () => auditTests(open));
    describe("key transparency log", () => keylogTests(open));
    describe("whole storage", () => facadeTests(open));
  });
}
