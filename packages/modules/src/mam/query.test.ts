import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StanzaError } from "@hato/core";
import { parseElement } from "@hato/xml";
import { parseDateTime, parseQuery } from "./query.js";

const q = (inner: string) =>
  parseElement(`<query xmlns='urn:xmpp:mam:2' queryid='q'>${inner}</query>`);
const form = (fields: string) =>
  `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field>${fields}</x>`;
const refuses = (fn: () => unknown, condition: string) =>
  assert.throws(fn, (e: unknown) => e instanceof StanzaError && e.condition === condition);

describe("parseDateTime", () => {
  it("takes XEP-0082 date-times with Z or an offset", () => {
    assert.equal(
      parseDateTime("s", "2024-02-29T23:59:59Z").toISOString(),
      "2024-02-29T23:59:59.000Z",
    );
    assert.equal(
      parseDateTime("s", "2024-03-01T01:00:00.5+02:00").toISOString(),
      "2024-02-29T23:00:00.500Z",
    );
  });
  it("refuses impossible or unzoned ones", () => {
    for (const bad of [
      "2023-02-29T00:00:00Z",
      "2024-04-31T00:00:00Z",
      "2024-01-01T24:00:00Z",
      "2024-01-01T00:00:00",
      "2024-01-01",
      "2024-01-01T00:00:00+25:00",
    ]) {
      refuses(() => parseDateTime("start", bad), "bad-request");
    }
  });
});

describe("parseQuery", () => {
  it("combines form bounds and RSM into one storage query", () => {
    const p = parseQuery(
      q(
        `${form("<field var='with'><value>Bob@Example.com</value></field><field var='after-id'><value>a1</value></field>")}<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><before/></set><flip-page/>`,
      ),
      50,
    );
    assert.deepEqual(p.query, { limit: 10, with: "bob@example.com", after: "a1", before: true });
    assert.equal(p.queryId, "q");
    assert.equal(p.flip, true);
  });
  it("clamps max to the page cap and uses it when none is given", () => {
    assert.equal(
      parseQuery(q("<set xmlns='http://jabber.org/protocol/rsm'><max>900</max></set>"), 50).query
        .limit,
      50,
    );
    assert.equal(parseQuery(q(""), 50).query.limit, 50);
  });
  it("keeps before-id as the anchor of an empty RSM before", () => {
    const p = parseQuery(
      q(
        `${form("<field var='before-id'><value>b9</value></field>")}<set xmlns='http://jabber.org/protocol/rsm'><before/></set>`,
      ),
      50,
    );
    assert.equal(p.query.before, "b9");
  });
  it("refuses unknown fields, two forms, and RSM elements it does not know", () => {
    refuses(
      () => parseQuery(q(form("<field var='x-foo'><value>1</value></field>")), 50),
      "feature-not-implemented",
    );
    refuses(() => parseQuery(q(form("") + form("")), 50), "bad-request");
    refuses(
      () => parseQuery(q("<set xmlns='http://jabber.org/protocol/rsm'><foo/></set>"), 50),
      "bad-request",
    );
    refuses(() => parseQuery(q(form("<field var='ids'/>")), 50), "bad-request");
  });
});
