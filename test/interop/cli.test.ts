// The `hato` command against a running server (admin socket) and a stopped one, checked with real clients.

import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { agentPool } from "../support/agents.js";
import { CLI, type Hato, startHato } from "../support/hato.js";
import { run } from "../support/process.js";

const lines = (s: string) => s.split("\n").filter((l) => l !== "");

describe("hato CLI", () => {
  let hato: Hato;
  const pool = agentPool();
  const agent = pool.start;

  before(async () => {
    hato = await startHato();
  });
  after(async () => {
    await pool.stopAll();
    await hato?.stop();
  });

  it("creates admin@domain on first start, its password in a 0600 file, and that password works", async () => {
    const file = join(hato.dataDir, "admin-password");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const [address, password, ...rest] = (await readFile(file, "utf8")).trim().split(" ");
    assert.equal(address, "admin@localhost");
    assert.equal(rest.length, 0);
    assert.ok(password && password.length >= 16, "a long random password");
    const admin = agent("xmppjs", hato, { user: "admin", password, tls: "starttls" });
    assert.match((await admin.online()).jid, /^admin@localhost\//);
    await admin.stop();
  });

  it("a second server on the same data folder is refused with a clear error", async () => {
    const second = await hato.cli(["start", "--c2s-port", "0", "--tls-port", "0"]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /another Hato server is running on .* \(HATO_ERR_DATA_IN_USE\)/);
    assert.equal(
      (await hato.cli(["user", "list"])).code,
      0,
      "the first server's admin socket still answers",
    );
  });

  it("user add, list, passwd and del work through the running server's admin socket", async () => {
    const add = await hato.cli(["user", "add", "erin@localhost", "--password", "first-pw"]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /erin@localhost/);

    const dup = await hato.cli(["user", "add", "erin@localhost", "--password", "x"]);
    assert.equal(dup.code, 1, "adding an existing account fails");
    assert.match(dup.stderr, /erin/);

    const list = await hato.cli(["user", "list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(lines(list.stdout).sort(), ["admin@localhost", "erin@localhost"]);

    const a = agent("slixmpp", hato, {
      user: "erin",
      password: "first-pw",
      tls: "direct",
      channelBinding: "tls-server-end-point",
    });
    await a.online();
    await a.stop();

    const passwd = await hato.cli(["user", "passwd", "erin@localhost", "--password", "second-pw"]);
    assert.equal(passwd.code, 0, passwd.stderr);
    const old = agent("xmppjs", hato, {
      user: "erin",
      password: "first-pw",
      tls: "starttls",
      timeoutSeconds: 15,
    });
    assert.equal(
      (await old.next("error"))["condition"],
      "not-authorized",
      "the old password no longer works",
    );
    const fresh = agent("xmppjs", hato, { user: "erin", password: "second-pw", tls: "starttls" });
    await fresh.online();
    await fresh.stop();
  });

  it("user del closes the deleted user's live sessions", async (t) => {
    assert.equal(
      (await hato.cli(["user", "add", "frank@localhost", "--password", "frank-pw"])).code,
      0,
    );
    const py = agent("slixmpp", hato, {
      user: "frank",
      password: "frank-pw",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    const js = agent("xmppjs", hato, { user: "frank", password: "frank-pw", tls: "direct" });
    await Promise.all([py.online(), js.online()]);

    const del = await hato.cli(["user", "del", "frank@localhost"]);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /deleted frank@localhost and closed its sessions/);

    const pyError = await py.next("stream-error");
    await py.next("disconnected");
    const jsError = await js.next("error", (e) => e["condition"] !== undefined);
    await js.next("disconnected");
    t.diagnostic(`slixmpp saw ${JSON.stringify(pyError)}; xmpp.js saw ${JSON.stringify(jsError)}`);
    assert.equal(pyError["condition"], "not-authorized");
    assert.equal(jsError["condition"], "not-authorized");

    const list = await hato.cli(["user", "list"]);
    assert.ok(!lines(list.stdout).includes("frank@localhost"));
    const again = agent("xmppjs", hato, {
      user: "frank",
      password: "frank-pw",
      tls: "starttls",
      timeoutSeconds: 15,
    });
    assert.equal(
      (await again.next("error"))["condition"],
      "not-authorized",
      "a deleted account cannot log in",
    );
  });

  it("user commands work on the data folder while the server is stopped", async () => {
    const stopped = await hato.shutdown();
    assert.equal(stopped?.code, 0, "SIGTERM stops the server with exit code 0");
    const add = await hato.cli(["user", "add", "gina@localhost", "--password", "gina-pw"]);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(
      (await hato.cli(["user", "add", "hugo@localhost", "--password", "hugo-pw"])).code,
      0,
    );
    const del = await hato.cli(["user", "del", "hugo@localhost"]);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /deleted hugo@localhost/);
    const list = await hato.cli(["user", "list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(lines(list.stdout).sort(), [
      "admin@localhost",
      "erin@localhost",
      "gina@localhost",
    ]);

    await hato.start();
    const gina = agent("slixmpp", hato, {
      user: "gina",
      password: "gina-pw",
      tls: "starttls",
      channelBinding: "tls-server-end-point",
    });
    assert.match((await gina.online()).jid, /^gina@localhost\//);
    await gina.stop();
  });

  it("reads the password from standard input when --password is not given", async () => {
    const add = await hato.cli(["user", "add", "ivy@localhost"], { input: "from-stdin-pw\n" });
    assert.equal(add.code, 0, add.stderr);
    const ivy = agent("xmppjs", hato, { user: "ivy", password: "from-stdin-pw", tls: "direct" });
    await ivy.online();
    await ivy.stop();
  });

  it("check-config accepts a good hato.yaml and rejects a broken one with a clear message and exit code 1", async () => {
    const root = dirname(hato.dataDir);
    const good = join(root, "good.yaml");
    await writeFile(
      good,
      `domain: localhost\ndata: ${JSON.stringify(join(root, "cc-data"))}\nlimits:\n  depth: 40\n`,
    );
    const ok = await run(process.execPath, [CLI, "check-config", "--config", good], { cwd: root });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /configuration OK/);

    const cases: [string, string, RegExp][] = [
      ["unknown setting", "domain: localhost\nlimits:\n  deph: 40\n", /limits\.deph/],
      ["value out of range", "limits:\n  depth: 100000\n", /limits\.depth.*integer from 4 to 256/],
      ["not YAML", "domain: [localhost\n", /broken\.yaml/],
      ["not a mapping", "- just\n- a list\n", /mapping/],
    ];
    for (const [what, text, message] of cases) {
      const bad = join(root, "broken.yaml");
      await writeFile(bad, text);
      const r = await run(process.execPath, [CLI, "check-config", "--config", bad], { cwd: root });
      assert.equal(r.code, 1, `${what}: exit code 1 (stdout ${r.stdout}, stderr ${r.stderr})`);
      assert.match(r.stderr, message, what);
      assert.match(r.stderr, /broken\.yaml/, `${what}: the message names the file`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: a message, not a stack trace`);
    }

    const missing = await run(
      process.execPath,
      [CLI, "check-config", "--config", join(root, "absent.yaml")],
      { cwd: root },
    );
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /absent\.yaml/);
    const noCert = join(root, "no-cert.yaml");
    await writeFile(
      noCert,
      `tls:\n  cert: ${JSON.stringify(join(root, "absent.pem"))}\n  key: ${JSON.stringify(join(root, "absent.key"))}\n`,
    );
    const r = await run(process.execPath, [CLI, "check-config", "--config", noCert], { cwd: root });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /certificate.*absent\.pem/);
  });
});
