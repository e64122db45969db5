import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseClamdAddress, parseClamdReply } from "./clamd.js";
import { ScannerUnavailable } from "./types.js";

describe("clamd replies as verdicts", () => {
  it("OK is clean; FOUND is infected with the signature", () => {
    assert.deepEqual(parseClamdReply("stream: OK"), { status: "clean", engine: "clamd" });
    const v = parseClamdReply("stream: Win.Test.EICAR_HDB-1 FOUND");
    assert.equal(v.status, "infected");
    if (v.status === "infected") assert.equal(v.signature, "Win.Test.EICAR_HDB-1");
  });
  it("limits and encryption heuristics are refusals, not findings", () => {
    for (const sig of [
      "Heuristics.Limits.Exceeded.MaxFileSize",
      "Heuristics.Limits.Exceeded.MaxScanSize",
      "Heuristics.Limits.Exceeded.MaxRecursion",
      "Heuristics.Encrypted.Zip",
      "Heuristics.Encrypted.PDF",
    ]) {
      assert.equal(parseClamdReply(`stream: ${sig} FOUND`).status, "refused", sig);
    }
    assert.equal(
      parseClamdReply("stream: Heuristics.Phishing.Email.SpoofedDomain FOUND").status,
      "infected",
    );
  });
  it("errors are refusals; anything else gives no verdict", () => {
    const v = parseClamdReply("INSTREAM size limit exceeded. ERROR");
    assert.equal(v.status, "refused");
    if (v.status === "refused") assert.match(v.reason, /larger than/);
    assert.equal(parseClamdReply("stream: Can't allocate memory ERROR").status, "refused");
    assert.throws(() => parseClamdReply("PONG"), ScannerUnavailable);
    assert.throws(() => parseClamdReply(""), ScannerUnavailable);
  });
});

describe("scan.clamd-address", () => {
  it("tcp://HOST:PORT, IPv6 in brackets, unix socket paths", () => {
    assert.deepEqual(parseClamdAddress("tcp://127.0.0.1:3310"), { host: "127.0.0.1", port: 3310 });
    assert.deepEqual(parseClamdAddress("tcp://[::1]:3310"), { host: "::1", port: 3310 });
    assert.deepEqual(parseClamdAddress("tcp://clamd.internal:3310"), {
      host: "clamd.internal",
      port: 3310,
    });
    assert.deepEqual(parseClamdAddress("/run/clamav/clamd.ctl"), { path: "/run/clamav/clamd.ctl" });
    assert.throws(() => parseClamdAddress("tcp://host"));
    assert.throws(() => parseClamdAddress("tcp://host:0"));
    assert.throws(() => parseClamdAddress("clamd:3310"));
  });
});
