// Registration by invitation end to end: `hato invite create` on a running `hato start` with
// `registration: invite`, slixmpp registering with the token (xep_0077 plus a raw XEP-0445
// pre-auth IQ), refused without a token and with a used one, and the audit entries.

import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Hato, startHato } from "../support/hato.js";
import { runPython } from "../support/python.js";

type Step = Record<string, unknown>;

describe("slixmpp registers with an invite (XEP-0077 + XEP-0445)", () => {
  let h: Hato;
  before(async () => {
    h = await startHato();
    // hato start reads ./hato.yaml: the policy goes there, the rest stays flags.
    await writeFile(join(dirname(h.dataDir), "hato.yaml"), "policy:\n  registration: invite\n");
    await h.restart();
  });
  after(() => h?.stop());

  const register = async (user: string, token?: string): Promise<Step[]> => {
    const args = ["--jid", `${user}@localhost`, "--password", `${user}-password`];
    args.push("--port", String(h.c2sPort), "--ca", h.caFile);
    if (token !== undefined) args.push("--token", token);
    const r = await runPython("slixmpp-register.py", args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Step);
  };

  const audit = async (): Promise<Record<string, unknown>[]> => {
    const r = await h.cli(["audit", "export"]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  };

  let token = "";
  let id = "";

  it("hato invite create prints the landing URL and the xmpp: URI; list shows it open", async () => {
    const r = await h.cli(["invite", "create", "--expires-hours", "2", "--note", "for juliet"]);
    assert.equal(r.code, 0, r.stderr);
    const m =
      /^invite ([0-9a-f]{12}), valid until (\S+)\nhttps:\/\/localhost:\d+\/invite#([A-Za-z0-9]{43})\nxmpp:localhost\?register;preauth=([A-Za-z0-9]{43})\n$/.exec(
        r.stdout,
      );
    assert.ok(m, r.stdout);
    assert.equal(m[3], m[4]);
    id = m[1]!;
    token = m[3]!;
    const list = await h.cli(["invite", "list"]);
    assert.match(list.stdout, new RegExp(`^${id} +open +expires \\S+ +by cli +"for juliet"$`, "m"));
    assert.ok(!list.stdout.includes(token), "list never shows the token");
  });

  it("allowed: juliet registers with the token and logs in", async () => {
    const steps = await register("juliet", token);
    assert.deepEqual(steps, [
      { preauth: "ok" },
      { register: "ok" },
      { session: steps[2]?.session },
    ]);
    assert.match(String(steps[2]?.session), /^juliet@localhost\//);
    const list = await h.cli(["invite", "list"]);
    assert.match(list.stdout, new RegExp(`^${id} +used .* used by juliet at `, "m"));
  });

  it("refused: the used token (item-not-found), and no token at all (not-allowed)", async () => {
    const used = await register("romeo", token);
    assert.deepEqual(used[0], {
      preauth: {
        condition: "item-not-found",
        text: "this invite was already used; ask for a new one",
      },
    });
    assert.deepEqual(used[1], {
      register: {
        condition: "not-allowed",
        text: "your organisation creates accounts by invitation only; ask an admin for an invite",
      },
    });
    assert.equal(used.length, 2, "no session");
    const none = await register("tybalt");
    assert.deepEqual(none, [
      {
        register: {
          condition: "not-allowed",
          text: "your organisation creates accounts by invitation only; ask an admin for an invite",
        },
      },
    ]);
  });

  it("revoke through the admin socket; the audit log has every step and never the token", async () => {
    const second = await h.cli(["invite", "create"]);
    const secondId = /^invite ([0-9a-f]{12})/.exec(second.stdout)?.[1];
    assert.ok(secondId);
    const revoked = await h.cli(["invite", "revoke", secondId]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, `revoked invite ${secondId}\n`);
    const again = await h.cli(["invite", "revoke", secondId]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no open invite/);

    const entries = await audit();
    const kinds = (k: string) => entries.filter((e) => e.kind === k);
    const created = kinds("invite-created").find((e) => e.subject === id);
    assert.equal(created?.actor, "cli");
    assert.match(String(JSON.stringify(created?.details)), /expiresAt/);
    const redeemed = kinds("invite-redeemed");
    assert.equal(redeemed.length, 1);
    assert.equal(redeemed[0]?.actor, "juliet");
    assert.equal(redeemed[0]?.subject, id);
    assert.equal(redeemed[0]?.address, "127.0.0.1");
    assert.ok(kinds("user-created").some((e) => e.subject === "juliet"));
    assert.ok(
      kinds("registration-refused").some(
        (e) => e.address === "127.0.0.1" && /already used/.test(JSON.stringify(e.details)),
      ),
    );
    assert.deepEqual(
      kinds("policy-denied")
        .map((e) => e.actor)
        .sort(),
      ["romeo", "tybalt"],
    );
    assert.ok(kinds("invite-revoked").some((e) => e.subject === secondId && e.actor === "cli"));
    assert.ok(!JSON.stringify(entries).includes(token), "no token in the audit log");
  });
});
