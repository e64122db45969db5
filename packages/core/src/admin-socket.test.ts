import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openMemoryStorage } from "@hato/storage";
import { adminRequest, serveAdminSocket } from "./admin-socket.js";
import { loadConfig } from "./config.js";
import type { Server } from "./server.js";
import { SessionRegistry } from "./session.js";

/** Sends raw bytes and returns the first line the socket answers. */
function raw(path: string, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = "";
    s.on("error", reject);
    s.on("data", (d) => {
      buf += d.toString();
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        s.destroy();
        resolve(buf.slice(0, nl));
      }
    });
    s.write(bytes);
  });
}

describe("admin socket", () => {
  const dir = mkdtempSync(join(tmpdir(), "hato-admin-"));
  const path = join(dir, "admin.sock");
  const server = {
    config: loadConfig({ flags: new Map([["scram.iterations", "4096"]]) }),
    storage: openMemoryStorage(),
    sessions: new SessionRegistry(),
    closeSessionsOf: () => 0,
  } as unknown as Server;
  let listener: Awaited<ReturnType<typeof serveAdminSocket>>;
  before(async () => {
    listener = await serveAdminSocket(server, path);
  });
  after(() => {
    listener.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is a socket only the server's user can open (mode 0600)", () => {
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it("adds, lists and deletes accounts; errors carry a code", async () => {
    assert.deepEqual(
      await adminRequest(path, { op: "user.add", address: "ann@localhost", password: "pw" }),
      { ok: true, result: "ann" },
    );
    const dup = await adminRequest(path, {
      op: "user.add",
      address: "ann@localhost",
      password: "pw",
    });
    assert.equal(dup?.ok, false);
    assert.equal(dup?.ok === false && dup.code, "HATO_ERR_USER_EXISTS");
    assert.deepEqual(await adminRequest(path, { op: "user.list" }), {
      ok: true,
      result: ["ann@localhost"],
    });
    const wrong = await adminRequest(path, {
      op: "user.add",
      address: "eve@example.org",
      password: "pw",
    });
    assert.equal(wrong?.ok === false && wrong.code, "HATO_ERR_WRONG_DOMAIN");
    assert.equal(
      (await adminRequest(path, { op: "user.del", address: "ann@localhost" }))?.ok,
      true,
    );
  });

  it("answers bad input with a JSON reason: not JSON, unknown operation, oversize request", async () => {
    assert.match(await raw(path, "{nope\n"), /HATO_ERR_ADMIN_BAD_REQUEST/);
    assert.match(await raw(path, '{"op":"rm -rf"}\n'), /unknown operation/);
    assert.match(await raw(path, "x".repeat(70 * 1024)), /HATO_ERR_ADMIN_TOO_LARGE/);
  });

  it("reports no server when nothing listens on the path", async () => {
    assert.equal(await adminRequest(join(dir, "none.sock"), { op: "ping" }), undefined);
  });
});
