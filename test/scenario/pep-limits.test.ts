// XEP-0163 limits: every PEP input is bounded by a setting and refused with a clear error.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import {
  assertError,
  assertNothing,
  befriend,
  capsElement,
  capsLogin,
  configSubmit,
  iq,
  isEvent,
  NS_PUBSUB,
  NS_PUBSUB_OWNER,
  publishOptions,
} from "../support/pep.js";

const TUNE = "http://jabber.org/protocol/tune";

const publish = (node: string, payload: string, id?: string, options = "") =>
  `<iq type='set'><pubsub xmlns='${NS_PUBSUB}'><publish node='${node}'><item${id ? ` id='${id}'` : ""}>${payload}</item></publish>${options}</pubsub></iq>`;
const fetch = (to: string, node: string) =>
  `<iq type='get' to='${to}'><pubsub xmlns='${NS_PUBSUB}'><items node='${node}'/></pubsub></iq>`;

async function users(t: TestServer, ...names: string[]) {
  for (const n of names) await t.addUser(n, `pw-${n}`);
}

describe("PEP limits", () => {
  it("payload size, nodes per account, items per node, id length, affiliations and publish rate each have a limit and a clear error", async () => {
    const t = await startServer({
      "pep.max-item-bytes": "1024",
      "pep.max-nodes": "3",
      "pep.max-items": "3",
      "pep.max-id-length": "16",
      "pep.max-affiliations": "1",
      "pep.publishes-per-minute": "12",
    });
    try {
      await users(t, "alice");
      const a = await RawClient.login(t, "alice", "pw-alice", "x");
      const big = `<blob xmlns='urn:example:blob'>${"A".repeat(2000)}</blob>`;
      let text = assertError(
        await iq(a.client, publish("blob", big)),
        "not-acceptable",
        "payload-too-big",
      );
      assert.match(text, /1024/);
      // items per node: max_items=max keeps at most 3; more is refused by configuration.
      const many = publishOptions({ max_items: "max" });
      for (const id of ["1", "2", "3", "4"]) {
        assert.equal(
          (await iq(a.client, publish("list", "<i xmlns='urn:example:i'/>", id, many))).attr(
            "type",
          ),
          "result",
        );
      }
      const all = await iq(a.client, fetch("alice@localhost", "list"));
      assert.deepEqual(
        all
          .getChild("pubsub")!
          .getChild("items")!
          .getChildren("item")
          .map((i) => i.attr("id")),
        ["2", "3", "4"],
      );
      text = assertError(
        await iq(a.client, configSubmit("list", { max_items: "10" })),
        "not-acceptable",
      );
      assert.match(text, /at most 3/);
      // id length: item ids and node names.
      text = assertError(
        await iq(a.client, publish("list", "<i xmlns='urn:example:i'/>", "x".repeat(17))),
        "not-acceptable",
      );
      assert.match(text, /16 characters/);
      assertError(
        await iq(a.client, publish("n".repeat(17), "<i xmlns='urn:example:i'/>")),
        "not-acceptable",
      );
      // affiliations per node.
      text = assertError(
        await iq(
          a.client,
          `<iq type='set'><pubsub xmlns='${NS_PUBSUB_OWNER}'><affiliations node='list'><affiliation jid='a@localhost' affiliation='member'/><affiliation jid='b@localhost' affiliation='member'/></affiliations></pubsub></iq>`,
        ),
        "not-acceptable",
      );
      assert.match(text, /at most 1/);
      // nodes per account: list, n2, n3; the fourth is refused.
      for (const n of ["n2", "n3"])
        assert.equal(
          (await iq(a.client, publish(n, "<i xmlns='urn:example:i'/>"))).attr("type"),
          "result",
        );
      text = assertError(
        await iq(a.client, publish("n4", "<i xmlns='urn:example:i'/>")),
        "policy-violation",
      );
      assert.match(text, /at most 3 PEP nodes/);
      // publish rate: 12 changes a minute were allowed so far (with refusals counted); then no more.
      let refused: string | undefined;
      for (let i = 0; i < 12 && refused === undefined; i++) {
        const res = await iq(a.client, publish("n2", "<i xmlns='urn:example:i'/>"));
        if (res.attr("type") === "error") refused = assertError(res, "resource-constraint");
      }
      assert.match(refused ?? "", /at most 12 per minute/);
      a.client.close();
    } finally {
      await t.stop();
    }
  });
});

describe("PEP watch limit", () => {
  it("a session follows at most pep.watched-per-session accounts through its presence; the oldest is forgotten", async () => {
    const t = await startServer({ "pep.watched-per-session": "1" });
    try {
      await users(t, "alice", "bob", "carol");
      await befriend(t, "alice", "bob");
      const a = await RawClient.login(t, "alice", "pw-alice", "desk");
      const bob = await capsLogin(t, "bob", "laptop", [TUNE, `${TUNE}+notify`]);
      bob.client.send(`<presence to='alice@localhost'>${capsElement(bob.ver)}</presence>`);
      await new Promise((r) => setTimeout(r, 100));
      const tune = "<tune xmlns='http://jabber.org/protocol/tune'><title>1</title></tune>";
      await iq(a.client, publish(TUNE, tune, "one"));
      await bob.client.expect(isEvent("alice@localhost", TUNE), "first event");
      // Presence to carol pushes alice out of bob's one watched account.
      bob.client.send(`<presence to='carol@localhost'>${capsElement(bob.ver)}</presence>`);
      await new Promise((r) => setTimeout(r, 100));
      await iq(a.client, publish(TUNE, tune, "two"));
      await assertNothing(
        bob.client,
        isEvent("alice@localhost", TUNE),
        "an event for a forgotten account",
      );
      // Presence to alice again: bob follows her again and gets her last item.
      bob.client.send(`<presence to='alice@localhost'>${capsElement(bob.ver)}</presence>`);
      const last = await bob.client.expect(isEvent("alice@localhost", TUNE), "last item");
      assert.equal(last.getChild("event")!.getChild("items")!.getChild("item")!.attr("id"), "two");
      a.client.close();
      bob.client.close();
    } finally {
      await t.stop();
    }
  });
});
