// Unit tests of the SDK's file sharing with fake collaborators: XEP-0363 discovery and slot
// errors, the PUT's answers (the scanner's verdicts), and XEP-0066 x:oob file messages.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ChatMessage } from "@hato/sdk";
import { UploadError } from "@hato/sdk";
import {
  Chat,
  type ChatHost,
  checkPut,
  fileOf,
  IqError,
  MessageStore,
  parseSlot,
  slotError,
  Uploads,
} from "@hato/sdk/internal";
import { type Element, parseElement } from "@hato/xml";

const NS_UPLOAD = "urn:xmpp:http:upload:0";
const iq = (inner: string) => parseElement(`<iq xmlns='jabber:client' type='result'>${inner}</iq>`);
const info = (features: string[], form = "") =>
  iq(
    `<query xmlns='http://jabber.org/protocol/disco#info'><identity category='server' type='im'/>${features
      .map((f) => `<feature var='${f}'/>`)
      .join("")}${form}</query>`,
  );
const limitForm = (n: string) =>
  `<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>${NS_UPLOAD}</value></field><field var='max-file-size'><value>${n}</value></field></x>`;

/** An IqError as the SDK's IQ caller makes it from an error reply. */
async function iqErrorOf(errorXml: string): Promise<unknown> {
  const err = parseElement(errorXml);
  const cond = err
    .elements()
    .find((c) => c.xmlns === "urn:ietf:params:xml:ns:xmpp-stanzas" && c.name !== "text")!.name;
  return new IqError(cond, err.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas"), err);
}

describe("XEP-0363 discovery", () => {
  it("finds the service on the server's domain with its max-file-size", async () => {
    const asked: string[] = [];
    const u = new Uploads(
      async (_t, to, payload) => {
        asked.push(`${to} ${payload.xmlns}`);
        return info(["http://jabber.org/protocol/disco#info", NS_UPLOAD], limitForm("1048576"));
      },
      () => "me@example.org",
    );
    assert.deepEqual(await u.service(), { jid: "example.org", maxFileSize: 1048576 });
    await u.service();
    assert.deepEqual(asked, ["example.org http://jabber.org/protocol/disco#info"], "asked once");
  });

  it("looks through disco#items when the domain has no upload feature, and says none when nobody has", async () => {
    const u = new Uploads(
      async (_t, to, payload) => {
        if (payload.xmlns?.endsWith("#items"))
          return iq(
            `<query xmlns='http://jabber.org/protocol/disco#items'><item jid='conf.example.org'/><item jid='upload.example.org'/></query>`,
          );
        return to === "upload.example.org" ? info([NS_UPLOAD]) : info(["urn:xmpp:ping"]);
      },
      () => "me@example.org",
    );
    assert.deepEqual(await u.service(), { jid: "upload.example.org" });

    const none = new Uploads(
      async (_t, _to, payload) =>
        payload.xmlns?.endsWith("#items")
          ? iq(`<query xmlns='http://jabber.org/protocol/disco#items'/>`)
          : info([]),
      () => "me@example.org",
    );
    assert.equal(await none.service(), undefined);
    await assert.rejects(none.requestSlot("a.txt", 1, "text/plain"), { code: "no-service" });
  });

  it("refuses a file over the advertised limit before asking for a slot", async () => {
    let slotAsked = false;
    const u = new Uploads(
      async (_t, _to, payload) => {
        if (payload.name === "request") slotAsked = true;
        return info([NS_UPLOAD], limitForm("100"));
      },
      () => "me@example.org",
    );
    await assert.rejects(u.requestSlot("big.bin", 101, ""), (e: unknown) => {
      assert.ok(e instanceof UploadError);
      assert.equal(e.code, "file-too-large");
      assert.equal(e.maxFileSize, 100);
      return true;
    });
    assert.equal(slotAsked, false);
  });

  it("asks for a slot with name, size and type and returns put, get and the allowed headers", async () => {
    let request: Element | undefined;
    const u = new Uploads(
      async (_t, _to, payload) => {
        if (payload.name !== "request") return info([NS_UPLOAD]);
        request = payload;
        return iq(
          `<slot xmlns='${NS_UPLOAD}'><put url='https://h.example/upload/s1/sec/a.png'>` +
            `<header name='Authorization'>Basic x</header><header name='Host'>evil</header>` +
            `<header name='Cookie'>a=b&#10;X-Evil: 1</header></put>` +
            `<get url='https://h.example/upload/s1/sec/a.png'/></slot>`,
        );
      },
      () => "me@example.org",
    );
    const slot = await u.requestSlot("a.png", 42, "image/png");
    assert.equal(request?.attr("filename"), "a.png");
    assert.equal(request?.attr("size"), "42");
    assert.equal(request?.attr("content-type"), "image/png");
    assert.deepEqual(slot, {
      put: "https://h.example/upload/s1/sec/a.png",
      get: "https://h.example/upload/s1/sec/a.png",
      headers: { Authorization: "Basic x", Cookie: "a=bX-Evil: 1" },
    });
  });

  it("a slot without https URLs is refused", () => {
    for (const s of [
      `<slot xmlns='${NS_UPLOAD}'><put url='http://h/upload/a'/><get url='https://h/upload/a'/></slot>`,
      `<slot xmlns='${NS_UPLOAD}'><put url='https://h/upload/a'/><get url='javascript:alert(1)'/></slot>`,
      `<slot xmlns='${NS_UPLOAD}'><put url='https://h/upload/a'/></slot>`,
    ])
      assert.throws(() => parseSlot(parseElement(s)), { code: "failed" });
  });
});

describe("XEP-0363 slot errors carry the server's text", () => {
  it("file-too-large with the limit, quota, type refused, other refusals", async () => {
    const tooLarge = slotError(
      await iqErrorOf(
        `<error type='modify'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
          `<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>File too large: the limit is 1 MiB</text>` +
          `<file-too-large xmlns='${NS_UPLOAD}'><max-file-size>1048576</max-file-size></file-too-large></error>`,
      ),
    );
    assert.equal(tooLarge.code, "file-too-large");
    assert.equal(tooLarge.maxFileSize, 1048576);
    assert.equal(tooLarge.reason, "File too large: the limit is 1 MiB");

    const quota = slotError(
      await iqErrorOf(
        `<error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
          `<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Your upload quota of 10 MiB is used up</text></error>`,
      ),
    );
    assert.equal(quota.code, "quota");
    assert.equal(quota.reason, "Your upload quota of 10 MiB is used up");

    const type = slotError(
      await iqErrorOf(
        `<error type='modify'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
          `<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Files of type application/x-msdownload are not allowed</text></error>`,
      ),
    );
    assert.equal(type.code, "type-refused");
    assert.match(type.message, /application\/x-msdownload/);

    const other = slotError(
      await iqErrorOf(
        `<error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`,
      ),
    );
    assert.equal(other.code, "refused");
    assert.equal(other.reason, "forbidden");
  });
});

describe("the PUT's answer", () => {
  it("201 and 200 are stored and clean", () => {
    checkPut({ status: 201, body: "" });
    checkPut({ status: 200, body: "" });
  });

  it("422 infected and not-scanned, 503 scanner down, other statuses: each an UploadError with the reason", () => {
    const cases: [number, string, string, RegExp][] = [
      [
        422,
        `{"error":"infected","reason":"the file contains the EICAR test signature"}`,
        "infected",
        /EICAR/,
      ],
      [422, `{"error":"not-scanned","reason":"an encrypted archive"}`, "not-scanned", /encrypted/],
      [
        503,
        `{"error":"scanner-unavailable","reason":"no scanner"}`,
        "scanner-unavailable",
        /no scanner/,
      ],
      [503, "Service Unavailable", "scanner-unavailable", /scanner/],
      [413, `{"error":"too-large","reason":"over 1 MiB"}`, "file-too-large", /1 MiB/],
      [404, `{"error":"not-found","reason":"the slot has expired"}`, "failed", /expired/],
      [500, "<html>", "failed", /HTTP 500/],
    ];
    for (const [status, body, code, reason] of cases)
      assert.throws(
        () => checkPut({ status, body }),
        (e: unknown) => {
          assert.ok(e instanceof UploadError, `${status} ${body}`);
          assert.equal(e.code, code, `${status} ${body}`);
          assert.match(e.reason, reason);
          return true;
        },
      );
  });
});

describe("XEP-0066 x:oob file messages", () => {
  const setup = () => {
    const sent: Element[] = [];
    const messages: ChatMessage[] = [];
    const updates: ChatMessage[] = [];
    const host: ChatHost = {
      self: () => "me@x",
      send: (el) => sent.push(el),
      mayReceipt: () => true,
      message: (m) => messages.push(m),
      updated: (m) => updates.push(m),
      chatState: () => {},
      error: () => {},
    };
    return { chat: new Chat(host, new MessageStore()), sent, messages, updates };
  };
  const msg = (inner: string, id = "m1") =>
    parseElement(
      `<message xmlns='jabber:client' from='bob@x/r' to='me@x/r' type='chat' id='${id}'>${inner}</message>`,
    );
  const URL = "https://x/upload/s1/secret/photo%20one.png";

  it("sending: the body is the URL, x:oob carries it, and the message is flagged as a file", () => {
    const { chat, sent, messages } = setup();
    const m = chat.send("bob@x", URL, {
      url: URL,
      name: "photo one.png",
      size: 7,
      type: "image/png",
    });
    assert.deepEqual(m.file, { url: URL, name: "photo one.png", size: 7, type: "image/png" });
    assert.equal(m.body, URL);
    const el = sent[0]!;
    assert.equal(el.getChildText("body"), URL);
    assert.equal(el.getChild("x", "jabber:x:oob")?.getChildText("url"), URL);
    assert.deepEqual(messages[0]?.file, m.file);
  });

  it("receiving: a body equal to the x:oob URL is a file, named from the URL", () => {
    const { chat, messages } = setup();
    chat.stanza(msg(`<body>${URL}</body><x xmlns='jabber:x:oob'><url>${URL}</url></x>`));
    assert.deepEqual(messages[0]?.file, { url: URL, name: "photo one.png", type: "image/png" });
  });

  it("a body that differs from the URL, a missing x:oob or a non-http URL stays text", () => {
    for (const inner of [
      `<body>look: ${URL}</body><x xmlns='jabber:x:oob'><url>${URL}</url></x>`,
      `<body>${URL}</body>`,
      `<body>javascript:alert(1)//x</body><x xmlns='jabber:x:oob'><url>javascript:alert(1)//x</url></x>`,
    ])
      assert.equal(fileOf(msg(inner), msg(inner).getChildText("body")!), undefined, inner);
  });

  it("an SVG or an HTML file is a file with no guessed type (never an image)", () => {
    for (const name of ["drawing.svg", "page.html", "x.png.html"]) {
      const u = `https://x/upload/s/k/${name}`;
      const f = fileOf(msg(`<body>${u}</body><x xmlns='jabber:x:oob'><url>${u}</url></x>`), u);
      assert.deepEqual(f, { url: u, name });
    }
  });

  it("a correction into other text makes the file message text", () => {
    const { chat, updates } = setup();
    chat.stanza(msg(`<body>${URL}</body><x xmlns='jabber:x:oob'><url>${URL}</url></x>`));
    chat.stanza(
      msg(
        `<body>oops, wrong file</body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/>`,
        "m2",
      ),
    );
    assert.equal(updates[0]?.body, "oops, wrong file");
    assert.equal(updates[0]?.file, undefined);
  });
});
