import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseElement } from "@hato/xml";
import { archivable, newArchiveId, Serial, stripClaimedIds } from "./archiving.js";

const msg = (inner: string, type = "chat") =>
  parseElement(`<message xmlns='jabber:client' type='${type}'>${inner}</message>`);

describe("archivable", () => {
  it("keeps conversation content and nothing else", () => {
    assert.equal(archivable(msg("<body>hi</body>")), true);
    assert.equal(archivable(msg("<body>hi</body>", "normal")), true);
    assert.equal(archivable(msg("<encrypted xmlns='urn:xmpp:omemo:2'/>")), true);
    assert.equal(archivable(msg("<store xmlns='urn:xmpp:hints'/>")), true);
    assert.equal(archivable(msg("<active xmlns='http://jabber.org/protocol/chatstates'/>")), false);
    assert.equal(archivable(msg("<body>x</body>", "groupchat")), false);
    assert.equal(archivable(msg("<body>x</body>", "headline")), false);
    assert.equal(archivable(msg("<body>x</body>", "error")), false);
    assert.equal(archivable(msg("<body>x</body><no-store xmlns='urn:xmpp:hints'/>")), false);
    assert.equal(archivable(msg("<body xmlns='urn:example'>x</body>")), false);
  });
});

describe("stripClaimedIds", () => {
  it("drops ids by the archive or the server, keeps others'", () => {
    const m = msg(
      "<stanza-id xmlns='urn:xmpp:sid:0' by='a@h' id='1'/><stanza-id xmlns='urn:xmpp:sid:0' by='h' id='2'/><stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.h' id='3'/>",
    );
    stripClaimedIds(m, "a@h", "h");
    assert.deepEqual(
      m.elements().map((e) => e.attr("id")),
      ["3"],
    );
  });
});

describe("newArchiveId", () => {
  it("is 22 URL-safe characters and does not repeat", () => {
    const ids = new Set(Array.from({ length: 1000 }, newArchiveId));
    assert.equal(ids.size, 1000);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{22}$/);
  });
});

describe("Serial", () => {
  it("runs tasks of one key in order, even when earlier ones are slower", async () => {
    const s = new Serial();
    const seen: number[] = [];
    const slow = s.run("k", async () => {
      await new Promise((r) => setTimeout(r, 20));
      seen.push(1);
    });
    const fast = s.run("k", () => void seen.push(2));
    assert.equal(s.busy("k"), true);
    await Promise.all([slow, fast]);
    await s.idle("k");
    assert.deepEqual(seen, [1, 2]);
  });

  it("a failing task does not stop the next", async () => {
    const s = new Serial();
    const failed = s.run("k", () => {
      throw new Error("boom");
    });
    await assert.rejects(failed);
    assert.equal(await s.run("k", () => 7), 7);
  });
});
