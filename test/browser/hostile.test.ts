// Text from other users is text (issue 4): markup, script, javascript: links, bidi overrides and
// 1 MB of text sent to a browser user run nothing and leave the page responsive; a correction
// (XEP-0308) is applied only when it comes from the original sender.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { escapeText } from "@hato/xml";
import {
  launchBrowser,
  newUser,
  screenshot,
  type TestBrowser,
  type WatchedPage,
  WEB_FLAGS,
  webUrl,
} from "../support/browser.js";
import { mutualContacts, RawClient, startServer, type TestServer } from "../support/inproc.js";
import {
  allowUnencrypted,
  expectMessage,
  messageBox,
  messageLog,
  messageText,
  openChat,
  sendMessage,
} from "./ui.js";

const PAYLOADS = [
  `<script>window.__pwned = "script"</script>`,
  `<img src="x" onerror="window.__pwned = 'img'">`,
  `<svg onload="window.__pwned = 'svg'"></svg>`,
  `<iframe srcdoc="<script>parent.__pwned = 'iframe'</script>"></iframe>`,
  `<a href="javascript:window.__pwned = 'a'">click me</a>`,
  `javascript:window.__pwned='bare'`,
  `JaVaScRiPt:alert(document.domain)`,
  `[link](javascript:window.__pwned='md')`,
  `<b onmouseover="window.__pwned = 'b'">bold?</b> &lt;i&gt; &amp; &#x3C;script&#x3E;`,
  `{{constructor.constructor('window.__pwned = "tpl"')()}} \${window.__pwned = 'tpl2'}`,
  `<style>body { display: none }</style>`,
];
const LINKS = "Docs at https://example.com/a?b=1&c=2 and http://example.org/x#y here";
const BIDI = [
  "invoice\u202Efdp.exe",
  "\u202Dforced LTR\u202C and \u2067isolate\u2069 \u200F\u061C",
  "\u202E",
];
/** The little of the DOM that a function run in the page uses (the tests compile without DOM types). */
interface DomLike {
  querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>;
}
const NS_CORRECT = "urn:xmpp:message-correct:0";
const NS_SID = "urn:xmpp:sid:0";

describe("hostile text in the browser", () => {
  let t: TestServer;
  let b: TestBrowser;
  let alice: WatchedPage;
  let mallory: RawClient;
  let carol: RawClient;
  let n = 0;
  const say = (from: RawClient, body: string, extra = "", id = `m${++n}`) => {
    from.send(
      `<message to='alice@localhost' type='chat' id='${id}'><body>${escapeText(body)}</body><origin-id xmlns='${NS_SID}' id='${id}'/>${extra}</message>`,
    );
    return id;
  };

  before(async () => {
    // 1 MB of text is over the default stanza limit (256 KiB): the limit is raised to 2 MiB.
    t = await startServer({ ...WEB_FLAGS, "limits.stanza-bytes": String(2 * 1024 * 1024) });
    for (const [u, pw] of [
      ["alice", "alice-pw"],
      ["mallory", "mallory-pw"],
      ["carol", "carol-pw"],
    ])
      await t.addUser(u!, pw!);
    await mutualContacts(t, "alice", "mallory");
    await mutualContacts(t, "alice", "carol");
    mallory = (await RawClient.login(t, "mallory", "mallory-pw", "bot")).client;
    carol = (await RawClient.login(t, "carol", "carol-pw", "bot")).client;
    mallory.autoAck = true;
    carol.autoAck = true;
    b = await launchBrowser();
    alice = await b.newPage();
    await newUser(alice.page, {
      url: webUrl(t.tlsPort),
      jid: "alice@localhost",
      password: "alice-pw",
    });
    await openChat(alice.page, "mallory@localhost");
  });
  after(async () => {
    mallory?.close();
    carol?.close();
    await b?.close();
    await t?.stop();
  });

  const pwned = () => alice.page.evaluate("globalThis.__pwned");

  it("markup, scripts and javascript: links show as the text they are and run nothing", async () => {
    for (const p of PAYLOADS) say(mallory, p);
    say(mallory, LINKS);
    for (const p of PAYLOADS) await expectMessage(alice.page, p);
    await expectMessage(alice.page, LINKS);
    const log = messageLog(alice.page);
    // Give an onerror or onload that would fire a moment, and hover the bold text.
    await messageText(alice.page, PAYLOADS[8]!).hover();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await pwned(), undefined, "a payload ran");
    assert.deepEqual(alice.dialogs, [], "a dialog opened");
    assert.equal(
      await log.locator("script, iframe, svg, style, b, img[src='x'], object, embed").count(),
      0,
    );
    assert.equal(
      await alice.page.locator("a[href^='javascript:' i]").count(),
      0,
      "a javascript: link",
    );
    assert.ok(await alice.page.locator("body").isVisible(), "the page's own style stands");

    const https = log.locator("a[href='https://example.com/a?b=1&c=2']");
    const http = log.locator("a[href^='http://example.org/x']");
    assert.equal(await https.count(), 1, "the https address is a link");
    assert.equal(await http.count(), 1, "the http address is a link");
    for (const a of [https, http]) {
      const rel = (await a.getAttribute("rel")) ?? "";
      assert.ok(rel.split(/\s+/).includes("noopener"), `rel="${rel}" has noopener`);
    }
    // Nothing else in the conversation is a link.
    assert.equal(await log.locator("a").count(), 2);
    await screenshot(alice.page, "hostile-markup");
    alice.assertClean();
  });

  it("bidi overrides stay inside their message", async () => {
    for (const p of BIDI) say(mallory, p);
    say(mallory, "after the bidi");
    await expectMessage(alice.page, "after the bidi");
    // Each message either lost its controls or keeps them inside an isolate (dir="auto", <bdi>,
    // unicode-bidi isolate or plaintext): an unclosed U+202E cannot flip the text after it.
    const report = (await alice.page.evaluate(`(() => {
      const log = document.querySelector("[role=log]");
      const isolated = (n) => {
        for (let el = n.parentElement; el && el !== log; el = el.parentElement)
          if (/isolate|plaintext/.test(getComputedStyle(el).unicodeBidi) || el.tagName === "BDI") return true;
        return false;
      };
      const walker = document.createTreeWalker(log, NodeFilter.SHOW_TEXT);
      const out = [];
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (!/invoice|forced LTR|after the bidi/.test(n.data)) continue;
        out.push({ text: n.data, controls: /[\u202A-\u202E\u2066-\u2069]/.test(n.data), isolated: isolated(n) });
      }
      return out;
    })()`)) as { text: string; controls: boolean; isolated: boolean }[];
    assert.ok(report.length >= 3, `the bidi messages are on the page: ${JSON.stringify(report)}`);
    for (const r of report)
      assert.ok(
        !r.controls || r.isolated,
        `bidi controls outside an isolate: ${JSON.stringify(r)}`,
      );
    for (const r of report.filter((x) => /invoice/.test(x.text)))
      assert.ok(r.text.includes("fdp.exe"), "the text itself is all there, in logical order");
    await screenshot(alice.page, "hostile-bidi");
    assert.equal(await pwned(), undefined);
    alice.assertClean();
  });

  it("1 MB of text arrives, shows, and the page still answers clicks", async (tc) => {
    const line = "All work and no play makes Jack a dull boy. ";
    // 1 MB (10^6 characters): the SDK refuses stanzas over 1 MiB, so 1 MiB of text with the
    // stanza around it would not fit.
    const big = `BIG-START ${line.repeat(Math.ceil(1_000_000 / line.length))}`.slice(0, 1_000_000);
    assert.equal(big.length, 1_000_000);
    say(mallory, big);
    const shown = messageLog(alice.page)
      .getByText(/^BIG-START/)
      .first();
    await shown.waitFor({ timeout: 60_000 });
    const before = ((await shown.textContent()) ?? "").length;
    // The page answers: a control inside the long message ("Show more" if it shows a part),
    // then another chat and back, and the message box takes typing.
    const more = messageLog(alice.page).getByRole("button", { name: /show more/i });
    if ((await more.count()) > 0) {
      tc.diagnostic(`shown at first: ${before} characters; "Show more" clicked`);
      await more.first().click();
      // A function, not a string: the page's CSP (no unsafe-eval) refuses strings.
      await alice.page.waitForFunction((n) => {
        const doc = (globalThis as unknown as { document: DomLike }).document;
        return Array.from(doc.querySelectorAll("[role=log] *")).some(
          (e) => e.textContent?.startsWith("BIG-START") && e.textContent.length > n,
        );
      }, before);
    }
    await openChat(alice.page, "carol@localhost");
    await messageBox(alice.page).fill("still responsive");
    assert.equal(await messageBox(alice.page).inputValue(), "still responsive");
    await messageBox(alice.page).fill("");
    await openChat(alice.page, "mallory@localhost");
    await messageLog(alice.page)
      .getByText(/^BIG-START/)
      .first()
      .waitFor();
    await screenshot(alice.page, "hostile-1mb");
    assert.equal(await pwned(), undefined);
    alice.assertClean();
  });

  it("a correction is applied from the original sender only", async () => {
    await openChat(alice.page, "mallory@localhost");
    const orig = say(mallory, "the meeting is at 10");
    await expectMessage(alice.page, "the meeting is at 10");

    // Carol "corrects" mallory's message; then a message of hers proves hers were handled.
    say(carol, "carol's forgery", `<replace xmlns='${NS_CORRECT}' id='${orig}'/>`);
    say(carol, "carol was here");
    await openChat(alice.page, "carol@localhost");
    await expectMessage(alice.page, "carol was here");
    await openChat(alice.page, "mallory@localhost");
    assert.equal(
      await messageText(alice.page, "the meeting is at 10").count(),
      1,
      "mallory's message stands",
    );
    assert.equal(await messageText(alice.page, "carol's forgery").count(), 0);

    // Mallory "corrects" alice's own message (sent unencrypted: mallory has no OMEMO).
    await allowUnencrypted(alice.page);
    await sendMessage(alice.page, "I will bring the slides");
    const mine = await mallory.expect(
      (e) => e.name === "message" && e.getChildText("body") === "I will bring the slides",
      "alice's message",
    );
    const mineId = mine.getChild("origin-id", NS_SID)?.attr("id") ?? mine.attr("id")!;
    say(mallory, "alice brings nothing", `<replace xmlns='${NS_CORRECT}' id='${mineId}'/>`);
    say(mallory, "mallory sentinel");
    await expectMessage(alice.page, "mallory sentinel");
    assert.equal(
      await messageText(alice.page, "I will bring the slides").count(),
      1,
      "alice's own message stands",
    );
    assert.equal(await messageText(alice.page, "alice brings nothing").count(), 0);

    // Mallory corrects her own message: applied in place.
    say(mallory, "the meeting is at 11", `<replace xmlns='${NS_CORRECT}' id='${orig}'/>`);
    await expectMessage(alice.page, "the meeting is at 11");
    assert.equal(
      await messageText(alice.page, "the meeting is at 10").count(),
      0,
      "the old text is replaced",
    );
    assert.equal(await messageText(alice.page, "the meeting is at 11").count(), 1);
    await screenshot(alice.page, "chat-corrected");
    alice.assertClean();
  });

  // Last: if it fails it leaves alice's page reconnecting over and over.
  it("a stanza of over 1 MiB of text does not stop the messages after it", async () => {
    let sockets = 0;
    alice.page.on("websocket", () => sockets++);
    await openChat(alice.page, "mallory@localhost");
    say(mallory, `HUGE ${"y".repeat(1024 * 1024)}`);
    say(mallory, "after the huge one");
    await expectMessage(alice.page, "after the huge one", 15_000);
    assert.ok(sockets <= 1, `the page opened ${sockets} WebSockets meanwhile`);
  });
});
