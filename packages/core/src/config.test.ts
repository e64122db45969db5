import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { configurationDoc, loadConfig, settingsMarkdown } from "./config.js";

const file = (text: string) => {
  const f = join(mkdtempSync(join(tmpdir(), "hato-config-")), "hato.yaml");
  writeFileSync(f, text);
  return f;
};

describe("configuration", () => {
  it("has embedded defaults: localhost, 5222, 5223, 256 KiB stanzas", () => {
    const c = loadConfig();
    assert.equal(c.domain, "localhost");
    assert.equal(c.c2sPort, 5222);
    assert.equal(c.tlsPort, 5223);
    assert.equal(c.limits.stanzaBytes, 262144);
  });

  it("reads hato.yaml, and flags override the file", () => {
    const f = file("domain: example.org\nc2s-port: 15222\nlimits:\n  stanza-bytes: 65536\n");
    const c = loadConfig({ file: f, flags: new Map([["c2s-port", "0"]]) });
    assert.equal(c.domain, "example.org");
    assert.equal(c.c2sPort, 0);
    assert.equal(c.limits.stanzaBytes, 65536);
    assert.equal(c.file, f);
  });

  it("takes lists from YAML or as a comma-separated flag, each item checked", () => {
    const f = file(
      "http:\n  allowed-origins:\n    - https://chat.example.org\n    - https://a.example:8443\n",
    );
    assert.deepEqual(loadConfig({ file: f }).http.allowedOrigins, [
      "https://chat.example.org",
      "https://a.example:8443",
    ]);
    const flags = new Map([["http.allowed-origins", "https://x.example, https://y.example"]]);
    assert.deepEqual(loadConfig({ flags }).http.allowedOrigins, [
      "https://x.example",
      "https://y.example",
    ]);
    assert.deepEqual(loadConfig().http.allowedOrigins, []);
    assert.throws(
      () =>
        loadConfig({
          flags: new Map([["http.allowed-origins", "https://ok.example,javascript:alert(1)"]]),
        }),
      /http\.allowed-origins: expected a list of at most 100 origins/,
    );
    assert.throws(
      () => loadConfig({ flags: new Map([["http.public-host", "evil.example/path"]]) }),
      /http\.public-host: expected a host name/,
    );
  });

  it("names the file, the setting and the problem", () => {
    assert.throws(
      () => loadConfig({ file: file("c2s-port: lots\n") }),
      /hato\.yaml: c2s-port: expected an integer from 0 to 65535, got "lots"/,
    );
    assert.throws(
      () => loadConfig({ file: file("limits:\n  stanza-byte: 1\n") }),
      /unknown setting "limits\.stanza-byte"/,
    );
    assert.throws(
      () => loadConfig({ file: file("log:\n  level: loud\n") }),
      /one of debug, info, warn, error/,
    );
    assert.throws(() => loadConfig({ file: file("domain: [unclosed\n") }), /hato\.yaml/);
    assert.throws(
      () => loadConfig({ flags: new Map([["limits.depth", "1"]]) }),
      /flag --limits-depth/,
    );
    assert.throws(
      () => loadConfig({ file: join(tmpdir(), "no-such-hato.yaml") }),
      /no-such-hato\.yaml/,
    );
  });

  it("refuses YAML aliases (no billion laughs in the config either)", () => {
    assert.throws(() => loadConfig({ file: file("domain: &x localhost\nhost: *x\n") }));
  });

  it("reads XEP-0114 components from hato.yaml and from a flag", () => {
    const c = loadConfig({
      file: file("components:\n  - domain: Push.Localhost\n    secret: abc\n"),
    });
    assert.deepEqual(c.components, [{ domain: "push.localhost", secret: "abc" }]);
    assert.equal(c.componentPort, 0, "the component port is off by default");
    assert.equal(c.componentHost, "127.0.0.1", "and binds to loopback when turned on");
    const f = loadConfig({ flags: new Map([["components", "a.localhost=x=y,b.localhost=z"]]) });
    assert.deepEqual(f.components, [
      { domain: "a.localhost", secret: "x=y" },
      { domain: "b.localhost", secret: "z" },
    ]);
  });

  it("refuses component domains that clash with the server's, twice-listed ones, and no secret", () => {
    assert.throws(
      () => loadConfig({ flags: new Map([["components", "localhost=hush-hush"]]) }),
      (err: Error) =>
        /localhost is the server's own domain/.test(err.message) &&
        !err.message.includes("hush-hush"),
    );
    assert.throws(
      () => loadConfig({ flags: new Map([["components", "a.localhost=1,a.localhost=2"]]) }),
      /a\.localhost is listed twice/,
    );
    assert.throws(
      () => loadConfig({ flags: new Map([["components", "a.localhost"]]) }),
      /a\.localhost: the secret must be a non-empty string/,
    );
    assert.throws(
      () =>
        loadConfig({
          file: file("components:\n  - domain: 'bad domain'\n    secret: hush-hush\n"),
        }),
      (err: Error) => /entry 1: the domain/.test(err.message) && !err.message.includes("hush-hush"),
    );
    assert.throws(
      () =>
        loadConfig({
          file: file("components:\n  - domain: a.localhost\n    secret: s\n    port: 1\n"),
        }),
      /unknown key "port"/,
    );
  });

  it("documents every setting with its flag", () => {
    const md = settingsMarkdown();
    assert.match(md, /`limits\.stanza-bytes` \| `--limits-stanza-bytes`/);
  });

  it("docs/configuration.md is the generated one (run node scripts/gen-docs.mjs)", () => {
    const committed = readFileSync(
      new URL("../../../docs/configuration.md", import.meta.url),
      "utf8",
    );
    assert.equal(committed, configurationDoc());
  });
});
