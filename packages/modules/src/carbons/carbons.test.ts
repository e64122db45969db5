import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseElement } from "@hato/xml";
import { forgeableWrapper } from "./guard.js";
import { eligibleForCarbons } from "./index.js";

const msg = (inner: string, type?: string) =>
  parseElement(`<message xmlns='jabber:client'${type ? ` type='${type}'` : ""}>${inner}</message>`);

describe("eligibleForCarbons (XEP-0280 §6)", () => {
  it("copies chat, normal with a body, and direct invitations", () => {
    assert.equal(
      eligibleForCarbons(
        msg("<composing xmlns='http://jabber.org/protocol/chatstates'/>", "chat"),
        false,
      ),
      true,
    );
    assert.equal(eligibleForCarbons(msg("<body>x</body>"), false), true);
    assert.equal(
      eligibleForCarbons(msg("<x xmlns='jabber:x:conference' jid='r@muc'/>"), false),
      true,
    );
  });
  it("skips private, no-copy, carbons, MUC private messages and other types", () => {
    assert.equal(
      eligibleForCarbons(msg("<body>x</body><private xmlns='urn:xmpp:carbons:2'/>", "chat"), false),
      false,
    );
    assert.equal(
      eligibleForCarbons(msg("<body>x</body><no-copy xmlns='urn:xmpp:hints'/>", "chat"), false),
      false,
    );
    assert.equal(
      eligibleForCarbons(msg("<received xmlns='urn:xmpp:carbons:2'/>", "chat"), false),
      false,
    );
    assert.equal(
      eligibleForCarbons(
        msg("<body>x</body><x xmlns='http://jabber.org/protocol/muc#user'/>", "chat"),
        true,
      ),
      false,
    );
    assert.equal(eligibleForCarbons(msg("<receipt/>"), false), false);
    for (const t of ["headline", "groupchat", "error"]) {
      assert.equal(eligibleForCarbons(msg("<body>x</body>", t), false), false);
    }
  });
});

describe("forgeableWrapper", () => {
  it("finds carbons and archive results of every MAM version, and nothing else", () => {
    for (const w of [
      "<sent xmlns='urn:xmpp:carbons:2'/>",
      "<received xmlns='urn:xmpp:carbons:2'/>",
      "<result xmlns='urn:xmpp:mam:2'/>",
      "<result xmlns='urn:xmpp:mam:1'/>",
      "<result xmlns='urn:xmpp:mam:0'/>",
    ]) {
      assert.ok(forgeableWrapper(msg(`<body>x</body>${w}`)), w);
    }
    assert.equal(forgeableWrapper(msg("<result xmlns='urn:example'/><sent/>")), undefined);
  });
});
