// XEP-0313 and XEP-0359 transcripts: alice's history on the server, paged, filtered, kept by her
// preferences, with stanza ids the server stamps and nobody else can forge.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Element, NS_DELAY, NS_DISCO_INFO, NS_STANZA_ID, NS_STANZAS_ERR } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";

const NS_MAM = "urn:xmpp:mam:2";
const NS_RSM = "http://jabber.org/protocol/rsm";
const NS_DATA = "jabber:x:data";
const NS_FORWARD = "urn:xmpp:forward:0";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Short fixed wait, only to prove that something did NOT arrive. */
const QUIET = 150;

type Login = Awaited<ReturnType<typeof RawClient.login>>;
type Fields = Record<string, string | string[]>;
interface QueryOpts {
  fields?: Fields;
  set?: string;
  queryid?: string;
  extra?: string;
  to?: string;
}
interface Answer {
  iq: Element;
  /** The archived messages, in the order they arrived. */
  messages: Element[];
  /** Their archive ids. */
  ids: string[];
  stamps: Date[];
  fin: Element | undefined;
  complete: boolean;
  first: string | undefined;
  last: string | undefined;
  count: number | undefined;
}

let seq = 0;
const form = (fields: Fields) =>
  `<x xmlns='${NS_DATA}' type='submit'><field var='FORM_TYPE' type='hidden'><value>${NS_MAM}</value></field>${Object.entries(
    fields,
  )
    .map(
      ([k, v]) =>
        `<field var='${k}'>${(Array.isArray(v) ? v : [v]).map((x) => `<value>${x}</value>`).join("")}</field>`,
    )
    .join("")}</x>`;
const rsm = (inner: string) => `<set xmlns='${NS_RSM}'>${inner}</set>`;

function queryXml(o: QueryOpts, id: string, queryid: string): string {
  const to = o.to ? ` to='${o.to}'` : "";
  const body = (o.fields ? form(o.fields) : "") + (o.set ? rsm(o.set) : "") + (o.extra ?? "");
  return `<iq type='set' id='${id}'${to}><query xmlns='${NS_MAM}' queryid='${queryid}'>${body}</query></iq>`;
}

/** Sends a query and collects the results pushed before the final IQ. */
async function query(c: Login, o: QueryOpts = {}): Promise<Answer> {
  const id = `mq${++seq}`;
  const queryid = o.queryid ?? `qid${seq}`;
  c.client.send(queryXml(o, id, queryid));
  const iq = await c.client.expect((e) => e.name === "iq" && e.attr("id") === id, `answer ${id}`);
  const results: Element[] = [];
  for (let i = 0; i < c.client.received.length; ) {
    const r = c.client.received[i]!.getChild("result", NS_MAM);
    if (r?.attr("queryid") === queryid) results.push(...c.client.received.splice(i, 1));
    else i++;
  }
  const fin = iq.getChild("fin", NS_MAM);
  const set = fin?.getChild("set", NS_RSM);
  const forwarded = results.map(
    (m) => m.getChild("result", NS_MAM)!.getChild("forwarded", NS_FORWARD)!,
  );
  return {
    iq,
    messages: forwarded.map((f) => f.getChild("message")!),
    ids: results.map((m) => m.getChild("result", NS_MAM)!.attr("id")!),
    stamps: forwarded.map((f) => new Date(f.getChild("delay", NS_DELAY)!.attr("stamp")!)),
    fin,
    complete: fin?.attr("complete") === "true",
    first: set?.getChildText("first"),
    last: set?.getChildText("last"),
    count: set?.getChildText("count") === undefined ? undefined : Number(set.getChildText("count")),
  };
}

const errorOf = (el: Element) => {
  const e = el.getChild("error");
  return {
    condition: e?.elements().find((c) => c.xmlns === NS_STANZAS_ERR && c.name !== "text")?.name,
    text: e?.getChildText("text", NS_STANZAS_ERR) ?? "",
  };
};

/** Sends a query that must be refused; returns the error. */
async function refused(c: Login, o: QueryOpts) {
  const a = await query(c, o);
  assert.equal(a.iq.attr("type"), "error", `expected an error for ${JSON.stringify(o)}`);
  assert.equal(a.messages.length, 0);
  return errorOf(a.iq);
}

const bodies = (a: Answer) => a.messages.map((m) => m.getChildText("body"));
const msgIds = (a: Answer) => a.messages.map((m) => m.attr("id"));

async function iq(c: Login, xmlText: string, id: string): Promise<Element> {
  c.client.send(xmlText);
  return c.client.expect((e) => e.name === "iq" && e.attr("id") === id, `answer ${id}`);
}

describe("XEP-0313 archive and XEP-0359 stanza ids", () => {
  let t: TestServer;
  let desk: Login;
  let phone: Login;
  let bob: Login;
  let mallory: Login;
  before(async () => {
    t = await startServer();
    for (const u of ["alice", "bob", "carol", "dave", "mallory"]) await t.addUser(u, `pw-${u}`);
    desk = await RawClient.login(t, "alice", "pw-alice", "desk");
    phone = await RawClient.login(t, "alice", "pw-alice", "phone");
    bob = await RawClient.login(t, "bob", "pw-bob", "home");
    mallory = await RawClient.login(t, "mallory", "pw-mallory", "evil");
  });
  after(async () => {
    for (const c of [desk, phone, bob, mallory]) c.client.close();
    await t.stop();
  });

  it("alice's bare JID advertises MAM and stanza ids to alice; a stranger learns nothing, a contact does", async () => {
    const disco = `<query xmlns='${NS_DISCO_INFO}'/>`;
    const r = await iq(desk, `<iq type='get' id='di1' to='alice@localhost'>${disco}</iq>`, "di1");
    assert.equal(r.attr("type"), "result");
    const q = r.getChild("query", NS_DISCO_INFO)!;
    const features = q.getChildren("feature").map((f) => f.attr("var"));
    for (const f of [NS_MAM, `${NS_MAM}#extended`, NS_STANZA_ID])
      assert.ok(features.includes(f), f);
    assert.equal(q.getChild("identity")?.attr("category"), "account");
    const s = await iq(bob, `<iq type='get' id='di2' to='alice@localhost'>${disco}</iq>`, "di2");
    assert.equal(errorOf(s).condition, "service-unavailable");
    const n = await iq(bob, `<iq type='get' id='di3' to='nobody@localhost'>${disco}</iq>`, "di3");
    assert.deepEqual(errorOf(n), errorOf(s), "same answer for an account that does not exist");
    await t.storage.roster.set("alice", "bob@localhost", {
      jid: "bob@localhost",
      subscription: "from",
      groups: [],
    });
    const c = await iq(bob, `<iq type='get' id='di4' to='alice@localhost'>${disco}</iq>`, "di4");
    assert.equal(c.attr("type"), "result");
    await t.storage.roster.set("alice", "bob@localhost", undefined);
  });

  it("bob writes to alice; the live message and alice's archive carry the same stanza-id; bob's copy has its own", async () => {
    bob.client.send(
      "<message to='alice@localhost' type='chat' id='hello'><body>hello alice</body></message>",
    );
    const live = await desk.client.expect((e) => e.attr("id") === "hello");
    const sid = live.getChildren("stanza-id", NS_STANZA_ID);
    assert.equal(sid.length, 1);
    assert.equal(sid[0]!.attr("by"), "alice@localhost");
    const id = sid[0]!.attr("id")!;
    assert.match(id, /^[A-Za-z0-9_-]{22}$/, "128 random bits");
    const mine = await query(desk, { fields: { ids: id } });
    assert.deepEqual(mine.ids, [id]);
    assert.deepEqual(bodies(mine), ["hello alice"]);
    assert.equal(mine.messages[0]!.attr("from"), "bob@localhost/home");
    assert.ok(!Number.isNaN(mine.stamps[0]!.getTime()));
    const theirs = await query(bob, { fields: { with: "alice@localhost" } });
    assert.deepEqual(msgIds(theirs), ["hello"]);
    assert.notEqual(theirs.ids[0], id, "the sender's archive gives its own id");
    const results = await query(desk, { fields: { with: "bob@localhost" } });
    assert.deepEqual(msgIds(results), ["hello"]);
    assert.equal(live.getChild("stanza-id", NS_STANZA_ID)?.attr("by"), "alice@localhost");
    const other = phone.client.received.find((e) => e.attr("id") === "hello");
    assert.equal(
      other?.getChild("stanza-id", NS_STANZA_ID)?.attr("id"),
      id,
      "both sessions, one id",
    );
  });

  it("mallory's stanza-ids claiming to be alice's archive or the server are stripped (XEP-0359 §5)", async () => {
    mallory.client.send(
      `<message to='alice@localhost/desk' type='chat' id='forge'><body>trust me</body><stanza-id xmlns='${NS_STANZA_ID}' by='alice@localhost' id='forged-1'/><stanza-id xmlns='${NS_STANZA_ID}' by='localhost' id='forged-2'/><stanza-id xmlns='${NS_STANZA_ID}' by='mallory@localhost' id='hers'/></message>`,
    );
    const m = await desk.client.expect((e) => e.attr("id") === "forge");
    const sids = m
      .getChildren("stanza-id", NS_STANZA_ID)
      .map((s) => `${s.attr("by")} ${s.attr("id")}`);
    assert.equal(sids.length, 2);
    assert.ok(sids.includes("mallory@localhost hers"), "ids by others stay");
    const ours = m
      .getChildren("stanza-id", NS_STANZA_ID)
      .find((s) => s.attr("by") === "alice@localhost")!;
    assert.ok(!["forged-1", "forged-2"].includes(ours.attr("id")!));
    const archived = await query(desk, { fields: { ids: ours.attr("id")! } });
    const stored = archived.messages[0]!.getChildren("stanza-id", NS_STANZA_ID).map((s) =>
      s.attr("id"),
    );
    assert.deepEqual(stored, ["hers"], "the archived copy keeps no forged id either");
    const forged = await refused(desk, { fields: { ids: "forged-1" } });
    assert.equal(forged.condition, "item-not-found");
  });

  it("what is archived: bodies, OMEMO, corrections, markers; not chat states, no-store, headlines or errors", async () => {
    const carol = await RawClient.login(t, "carol", "pw-carol", "c");
    const send = (id: string, inner: string, type = "chat") =>
      carol.client.send(
        `<message to='alice@localhost' type='${type}' id='${id}'>${inner}</message>`,
      );
    send("body", "<body>plain</body>");
    send("normal", "<body>a normal one</body>", "normal");
    send(
      "omemo",
      "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/></encrypted>",
    );
    send("fix", "<body>plain!</body><replace xmlns='urn:xmpp:message-correct:0' id='body'/>");
    send("seen", "<displayed xmlns='urn:xmpp:chat-markers:0' id='x'/>");
    send("typing", "<composing xmlns='http://jabber.org/protocol/chatstates'/>");
    send("nostore", "<body>off the record</body><no-store xmlns='urn:xmpp:hints'/>");
    send("noperm", "<body>not forever</body><no-permanent-store xmlns='urn:xmpp:hints'/>");
    send("news", "<body>headline</body>", "headline");
    send("last", "<body>done</body>");
    const last = await desk.client.expect((e) => e.attr("id") === "last");
    assert.ok(last.getChild("stanza-id", NS_STANZA_ID));
    const typing = await desk.client.expect((e) => e.attr("id") === "typing");
    assert.equal(typing.getChild("stanza-id", NS_STANZA_ID), undefined, "unarchived: no stanza-id");
    const a = await query(desk, { fields: { with: "carol@localhost" } });
    assert.deepEqual(msgIds(a), ["body", "normal", "omemo", "fix", "seen", "last"]);
    const c = await query(carol, { fields: { with: "alice@localhost" } });
    assert.deepEqual(msgIds(c), ["body", "normal", "omemo", "fix", "seen", "last"]);
    carol.client.close();
  });

  it("notes to self are archived once", async () => {
    desk.client.send(
      "<message to='alice@localhost' type='chat' id='note'><body>buy milk</body></message>",
    );
    await phone.client.expect((e) => e.attr("id") === "note");
    const a = await query(desk, { fields: { with: "alice@localhost" } });
    assert.deepEqual(msgIds(a), ["note"]);
  });

  it("dave is offline: the stored message and his archive carry the same stanza-id", async () => {
    bob.client.send(
      "<message to='dave@localhost' type='chat' id='away'><body>call me</body></message>",
    );
    await sleep(QUIET);
    const dave = await RawClient.login(t, "dave", "pw-dave", "d");
    const m = await dave.client.expect((e) => e.attr("id") === "away");
    const id = m.getChild("stanza-id", NS_STANZA_ID)?.attr("id");
    assert.ok(id);
    const a = await query(dave, {});
    assert.deepEqual(a.ids, [id]);
    dave.client.close();
  });

  it("results go to the asking session only, with the queryid, from alice's bare JID, then the fin", async () => {
    desk.client.send(
      `<iq type='set' id='only'><query xmlns='${NS_MAM}' queryid='mine'>${form({ with: "bob@localhost" })}</query></iq>`,
    );
    const result = await desk.client.expect((e) => e.getChild("result", NS_MAM) !== undefined);
    assert.equal(result.attr("from"), "alice@localhost");
    assert.equal(result.attr("to"), "alice@localhost/desk");
    assert.equal(result.getChild("result", NS_MAM)?.attr("queryid"), "mine");
    const fin = await desk.client.expect((e) => e.attr("id") === "only");
    assert.equal(fin.getChild("fin", NS_MAM)?.attr("complete"), "true");
    await sleep(QUIET);
    assert.ok(!phone.client.received.some((e) => e.getChild("result", NS_MAM)));
  });

  it("the query form lists every supported field; metadata names the first and last message", async () => {
    const f = await iq(desk, `<iq type='get' id='form'><query xmlns='${NS_MAM}'/></iq>`, "form");
    const x = f.getChild("query", NS_MAM)!.getChild("x", NS_DATA)!;
    assert.equal(x.attr("type"), "form");
    const vars = x.getChildren("field").map((fl) => fl.attr("var"));
    assert.deepEqual(vars, ["FORM_TYPE", "with", "start", "end", "before-id", "after-id", "ids"]);
    const all = await query(desk, {});
    const md = await iq(desk, `<iq type='get' id='md'><metadata xmlns='${NS_MAM}'/></iq>`, "md");
    const meta = md.getChild("metadata", NS_MAM)!;
    assert.equal(meta.getChild("start")?.attr("id"), all.ids[0]);
    assert.equal(meta.getChild("end")?.attr("id"), all.ids.at(-1));
    assert.equal(meta.getChild("end")?.attr("timestamp"), all.stamps.at(-1)!.toISOString());
  });

  it("nobody else may read, search or configure alice's archive", async () => {
    for (const payload of [
      `<query xmlns='${NS_MAM}'/>`,
      `<prefs xmlns='${NS_MAM}' default='always'/>`,
    ]) {
      const r = await iq(
        bob,
        `<iq type='set' id='peek' to='alice@localhost'>${payload}</iq>`,
        "peek",
      );
      assert.equal(errorOf(r).condition, "forbidden");
      assert.match(errorOf(r).text, /only the account itself/);
    }
    const m = await iq(
      bob,
      `<iq type='get' id='peek2' to='alice@localhost'><metadata xmlns='${NS_MAM}'/></iq>`,
      "peek2",
    );
    assert.equal(errorOf(m).condition, "forbidden");
    await sleep(QUIET);
    assert.ok(!bob.client.received.some((e) => e.getChild("result", NS_MAM)));
  });
});

describe("XEP-0313 paging (XEP-0059) and filters", () => {
  let t: TestServer;
  let alice: Login;
  let bob: Login;
  let carol: Login;
  /** The archive ids of bob's 30 messages b1..b30, oldest first. */
  let ids: string[];
  before(async () => {
    t = await startServer({ "mam.max-page": "20" });
    for (const u of ["alice", "bob", "carol"]) await t.addUser(u, `pw-${u}`);
    alice = await RawClient.login(t, "alice", "pw-alice", "desk");
    bob = await RawClient.login(t, "bob", "pw-bob", "home");
    carol = await RawClient.login(t, "carol", "pw-carol", "c");
    // Bob writes 30 times; carol chimes in after every sixth.
    for (let i = 1; i <= 30; i++) {
      bob.client.send(
        `<message to='alice@localhost' type='chat' id='b${i}'><body>b${i}</body></message>`,
      );
      if (i % 6 === 0) {
        await alice.client.expect((e) => e.attr("id") === `b${i}`);
        carol.client.send(
          `<message to='alice@localhost' type='chat' id='c${i / 6}'><body>c${i / 6}</body></message>`,
        );
        await alice.client.expect((e) => e.attr("id") === `c${i / 6}`);
      }
    }
    alice.client.received.length = 0;
    const all = [
      ...(await query(alice, { fields: { with: "bob@localhost" }, set: "<max>20</max>" })).ids,
    ];
    const rest = await query(alice, {
      fields: { with: "bob@localhost" },
      set: `<after>${all.at(-1)}</after>`,
    });
    ids = [...all, ...rest.ids];
    assert.equal(ids.length, 30);
  });
  after(async () => {
    for (const c of [alice, bob, carol]) c.client.close();
    await t.stop();
  });
  const names = (from: number, to: number) => {
    const out = [];
    for (let i = from; i <= to; i++) out.push(`b${i}`);
    return out;
  };
  const withBob = { with: "bob@localhost" };

  it("forward through bob's 30 messages, ten at a time", async () => {
    const p1 = await query(alice, { fields: withBob, set: "<max>10</max>" });
    assert.deepEqual(bodies(p1), names(1, 10));
    assert.equal(p1.complete, false);
    assert.equal(p1.count, 30);
    assert.equal(p1.first, p1.ids[0]);
    assert.equal(p1.last, p1.ids[9]);
    const p2 = await query(alice, {
      fields: withBob,
      set: `<max>10</max><after>${p1.last}</after>`,
    });
    assert.deepEqual(bodies(p2), names(11, 20));
    assert.equal(p2.complete, false);
    const p3 = await query(alice, {
      fields: withBob,
      set: `<max>10</max><after>${p2.last}</after>`,
    });
    assert.deepEqual(bodies(p3), names(21, 30));
    assert.equal(p3.complete, true);
    const p4 = await query(alice, {
      fields: withBob,
      set: `<max>10</max><after>${p3.last}</after>`,
    });
    assert.deepEqual(p4.ids, []);
    assert.equal(p4.complete, true);
    assert.equal(p4.first, undefined);
    assert.equal(p4.count, 30);
  });

  it("backward from the end: an empty <before/> is the last page, each page still oldest first", async () => {
    const p1 = await query(alice, { fields: withBob, set: "<max>10</max><before/>" });
    assert.deepEqual(bodies(p1), names(21, 30));
    assert.equal(p1.complete, false);
    const p2 = await query(alice, {
      fields: withBob,
      set: `<max>10</max><before>${p1.first}</before>`,
    });
    assert.deepEqual(bodies(p2), names(11, 20));
    const p3 = await query(alice, {
      fields: withBob,
      set: `<max>10</max><before>${p2.first}</before>`,
    });
    assert.deepEqual(bodies(p3), names(1, 10));
    assert.equal(p3.complete, true);
  });

  it("the whole archive mixes bob and carol in arrival order; with= picks one of them", async () => {
    const p = await query(alice, { set: "<max>12</max>" });
    assert.deepEqual(bodies(p), [...names(1, 6), "c1", ...names(7, 11)]);
    assert.equal(p.count, 35);
    const c = await query(alice, { fields: { with: "carol@localhost" } });
    assert.deepEqual(bodies(c), ["c1", "c2", "c3", "c4", "c5"]);
    assert.equal(c.complete, true);
  });

  it("a bigger max is lowered to mam.max-page, and no max gets that page size", async () => {
    const big = await query(alice, { fields: withBob, set: "<max>1000</max>" });
    assert.equal(big.ids.length, 20);
    assert.equal(big.complete, false);
    const none = await query(alice, { fields: withBob });
    assert.equal(none.ids.length, 20);
    const zero = await query(alice, { fields: withBob, set: "<max>0</max>" });
    assert.equal(zero.ids.length, 0);
    assert.equal(zero.count, 30);
  });

  it("start and end bound the time; combined with with= and paging", async () => {
    const all = await query(alice, { set: "<max>20</max>" });
    const more = await query(alice, { set: `<max>20</max><after>${all.last}</after>` });
    const stamps = [...all.stamps, ...more.stamps];
    const from = stamps[8]!;
    const to = stamps[25]!;
    const expected = [...all.messages, ...more.messages]
      .filter(
        (m, i) => stamps[i]! >= from && stamps[i]! <= to && m.attr("from")!.startsWith("bob@"),
      )
      .map((m) => m.getChildText("body"));
    const fields = { with: "bob@localhost", start: from.toISOString(), end: to.toISOString() };
    const p1 = await query(alice, { fields, set: "<max>5</max>" });
    const p2 = await query(alice, { fields, set: `<max>20</max><after>${p1.last}</after>` });
    assert.deepEqual([...bodies(p1), ...bodies(p2)], expected);
    assert.equal(p2.complete, true);
    const future = await query(alice, { fields: { start: "2999-01-01T00:00:00Z" } });
    assert.deepEqual(future.ids, []);
    assert.equal(future.count, 0);
    assert.equal(future.complete, true);
    const past = await query(alice, { fields: { end: "2000-01-01T00:00:00+02:00" } });
    assert.equal(past.count, 0);
  });

  it("after-id and before-id cut a window; ids fetches exactly those; flip-page reverses a page", async () => {
    const w = await query(alice, {
      fields: { ...withBob, "after-id": ids[4]!, "before-id": ids[10]! },
    });
    assert.deepEqual(bodies(w), names(6, 10));
    assert.equal(w.complete, true);
    const last = await query(alice, {
      fields: { ...withBob, "before-id": ids[10]! },
      set: "<max>3</max><before/>",
    });
    assert.deepEqual(bodies(last), names(8, 10));
    const paged = await query(alice, {
      fields: { ...withBob, "after-id": ids[4]! },
      set: "<max>2</max>",
    });
    assert.deepEqual(bodies(paged), names(6, 7));
    const picked = await query(alice, { fields: { ids: [ids[29]!, ids[0]!, ids[14]!] } });
    assert.deepEqual(bodies(picked), ["b1", "b15", "b30"], "archive order, not request order");
    const flipped = await query(alice, {
      fields: withBob,
      set: "<max>3</max><before/>",
      extra: `<flip-page xmlns='${NS_MAM}'/>`,
    });
    assert.deepEqual(bodies(flipped), ["b30", "b29", "b28"]);
    assert.equal(flipped.first, ids[27]);
    assert.equal(flipped.last, ids[29]);
  });

  describe("bad queries get a clear error", () => {
    const cases: [string, QueryOpts, string, RegExp][] = [
      ["max not a number", { set: "<max>ten</max>" }, "bad-request", /non-negative integer/],
      ["negative max", { set: "<max>-1</max>" }, "bad-request", /non-negative integer/],
      ["absurd max", { set: "<max>99999999999999999999</max>" }, "bad-request", /absurdly large/],
      [
        "unknown RSM after",
        { set: "<after>no-such-id</after>" },
        "item-not-found",
        /not in your archive/,
      ],
      [
        "unknown RSM before",
        { set: "<before>no-such-id</before>" },
        "item-not-found",
        /not in your archive/,
      ],
      [
        "unknown after-id",
        { fields: { "after-id": "nope" } },
        "item-not-found",
        /not in your archive/,
      ],
      ["unknown id in ids", { fields: { ids: ["nope"] } }, "item-not-found", /nope/],
      ["RSM index", { set: "<index>3</index>" }, "feature-not-implemented", /index/],
      ["start not a date", { fields: { start: "yesterday" } }, "bad-request", /XEP-0082/],
      ["31 February", { fields: { start: "2024-02-31T00:00:00Z" } }, "bad-request", /XEP-0082/],
      ["end without a zone", { fields: { end: "2024-02-01T00:00:00" } }, "bad-request", /XEP-0082/],
      ["with not a JID", { fields: { with: "a@b@c" } }, "jid-malformed", /not a valid JID/],
      [
        "with a full JID",
        { fields: { with: "bob@localhost/home" } },
        "feature-not-implemented",
        /bare JID/,
      ],
      [
        "unknown field",
        { fields: { "{urn:example}fulltext": "x" } },
        "feature-not-implemented",
        /not supported/,
      ],
      [
        "two values for start",
        { fields: { start: ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"] } },
        "bad-request",
        /one value/,
      ],
      [
        "after-id and RSM after together",
        { fields: { "after-id": "x" }, set: "<after>y</after>" },
        "bad-request",
        /either/,
      ],
      [
        "too many ids",
        { fields: { ids: Array.from({ length: 21 }, (_, i) => `i${i}`) } },
        "bad-request",
        /at most 20/,
      ],
      ["an overlong queryid", { queryid: "q".repeat(300) }, "bad-request", /queryid/],
    ];
    for (const [what, opts, condition, text] of cases) {
      it(`${what} → ${condition}`, async () => {
        const err = await refused(alice, opts);
        assert.equal(err.condition, condition);
        assert.match(err.text, text);
      });
    }

    it("a wrong FORM_TYPE is refused", async () => {
      const r = await iq(
        alice,
        `<iq type='set' id='ft'><query xmlns='${NS_MAM}'><x xmlns='${NS_DATA}' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:1</value></field></x></query></iq>`,
        "ft",
      );
      assert.equal(errorOf(r).condition, "bad-request");
      assert.match(errorOf(r).text, /FORM_TYPE/);
    });

    it("one query at a time per session: a second one meanwhile gets resource-constraint", async () => {
      alice.client.send(queryXml({}, "one", "one") + queryXml({}, "two", "two"));
      const second = await alice.client.expect((e) => e.attr("id") === "two");
      const first = await alice.client.expect((e) => e.attr("id") === "one");
      assert.equal(first.attr("type"), "result");
      assert.equal(errorOf(second).condition, "resource-constraint");
      assert.match(errorOf(second).text, /still running/);
      alice.client.received.length = 0;
      const again = await query(alice, { set: "<max>1</max>" });
      assert.equal(again.ids.length, 1, "the next query after the first finished works");
    });
  });
});

describe("XEP-0313 archiving preferences", () => {
  let t: TestServer;
  let alice: Login;
  let bob: Login;
  let carol: Login;
  before(async () => {
    t = await startServer({ "mam.prefs-max-jids": "3" });
    for (const u of ["alice", "bob", "carol"]) await t.addUser(u, `pw-${u}`);
    alice = await RawClient.login(t, "alice", "pw-alice", "desk");
    bob = await RawClient.login(t, "bob", "pw-bob", "home");
    carol = await RawClient.login(t, "carol", "pw-carol", "c");
    await t.storage.roster.set("alice", "bob@localhost", {
      jid: "bob@localhost",
      subscription: "both",
      groups: [],
    });
  });
  after(async () => {
    for (const c of [alice, bob, carol]) c.client.close();
    await t.stop();
  });
  const prefs = async (inner: string, id: string) =>
    iq(alice, `<iq type='set' id='${id}'>${inner}</iq>`, id);
  const jids = (el: Element | undefined, list: string) =>
    el
      ?.getChild(list)
      ?.getChildren("jid")
      .map((j) => j.text()) ?? [];
  /** Sends one message from `who` to alice; returns whether it was archived (it has a stanza-id). */
  const archivedFrom = async (who: Login, id: string) => {
    who.client.send(
      `<message to='alice@localhost' type='chat' id='${id}'><body>${id}</body></message>`,
    );
    const m = await alice.client.expect((e) => e.attr("id") === id);
    const sid = m.getChild("stanza-id", NS_STANZA_ID)?.attr("id");
    const inArchive =
      (await query(alice, { set: "<max>1</max><before/>" })).messages[0]?.attr("id") === id;
    assert.equal(sid !== undefined, inArchive, "a stanza-id exactly when archived");
    return inArchive;
  };

  it("the default is the server's mam.default (always)", async () => {
    const r = await iq(alice, `<iq type='get' id='pg'><prefs xmlns='${NS_MAM}'/></iq>`, "pg");
    assert.equal(r.getChild("prefs", NS_MAM)?.attr("default"), "always");
    assert.equal(await archivedFrom(carol, "a1"), true);
  });

  it("roster: bob (a contact) is archived, carol (a stranger) is not", async () => {
    const r = await prefs(`<prefs xmlns='${NS_MAM}' default='roster'/>`, "p1");
    assert.equal(r.getChild("prefs", NS_MAM)?.attr("default"), "roster");
    assert.equal(await archivedFrom(bob, "r1"), true);
    assert.equal(await archivedFrom(carol, "r2"), false);
    const fromCarol = await query(carol, { fields: { with: "alice@localhost" } });
    assert.ok(msgIds(fromCarol).includes("r2"), "carol's own archive is hers to keep");
  });

  it("never lists win over roster, always lists over never-by-default; the answer echoes what was stored", async () => {
    const r = await prefs(
      `<prefs xmlns='${NS_MAM}' default='roster'><always><jid>carol@localhost</jid></always><never><jid>bob@localhost</jid></never></prefs>`,
      "p2",
    );
    const stored = r.getChild("prefs", NS_MAM);
    assert.deepEqual(jids(stored, "always"), ["carol@localhost"]);
    assert.deepEqual(jids(stored, "never"), ["bob@localhost"]);
    assert.equal(await archivedFrom(bob, "n1"), false);
    assert.equal(await archivedFrom(carol, "n2"), true);
    const g = await iq(alice, `<iq type='get' id='pg2'><prefs xmlns='${NS_MAM}'/></iq>`, "pg2");
    assert.deepEqual(jids(g.getChild("prefs", NS_MAM), "never"), ["bob@localhost"]);
    await prefs(
      `<prefs xmlns='${NS_MAM}' default='never'><always><jid>bob@localhost</jid></always></prefs>`,
      "p3",
    );
    assert.equal(await archivedFrom(bob, "n3"), true);
    assert.equal(await archivedFrom(carol, "n4"), false);
  });

  it("alice's own sent messages follow her preferences too", async () => {
    await prefs(
      `<prefs xmlns='${NS_MAM}' default='always'><never><jid>carol@localhost</jid></never></prefs>`,
      "p4",
    );
    alice.client.send(
      "<message to='carol@localhost' type='chat' id='out1'><body>hi carol</body></message>",
    );
    alice.client.send(
      "<message to='bob@localhost' type='chat' id='out2'><body>hi bob</body></message>",
    );
    await bob.client.expect((e) => e.attr("id") === "out2");
    const q = await query(alice, { set: "<max>2</max><before/>" });
    assert.ok(!msgIds(q).includes("out1"));
    assert.equal(msgIds(q).at(-1), "out2");
  });

  const bad: [string, string, string, RegExp][] = [
    ["no default", `<prefs xmlns='${NS_MAM}'/>`, "bad-request", /default/],
    [
      "an unknown default",
      `<prefs xmlns='${NS_MAM}' default='sometimes'/>`,
      "bad-request",
      /default/,
    ],
    [
      "a broken JID",
      `<prefs xmlns='${NS_MAM}' default='always'><always><jid>@@</jid></always></prefs>`,
      "jid-malformed",
      /not a valid JID/,
    ],
    [
      "a JID in both lists",
      `<prefs xmlns='${NS_MAM}' default='always'><always><jid>bob@localhost</jid></always><never><jid>bob@localhost</jid></never></prefs>`,
      "bad-request",
      /both/,
    ],
    [
      "more JIDs than mam.prefs-max-jids",
      `<prefs xmlns='${NS_MAM}' default='always'><always><jid>a@x</jid><jid>b@x</jid></always><never><jid>c@x</jid><jid>d@x</jid></never></prefs>`,
      "not-acceptable",
      /at most 3/,
    ],
    [
      "something else in a list",
      `<prefs xmlns='${NS_MAM}' default='always'><always><item>a@x</item></always></prefs>`,
      "bad-request",
      /jid/,
    ],
  ];
  for (const [what, payload, condition, text] of bad) {
    it(`prefs with ${what} → ${condition}, and nothing changes`, async () => {
      const before = await iq(
        alice,
        `<iq type='get' id='pb'><prefs xmlns='${NS_MAM}'/></iq>`,
        "pb",
      );
      const r = await prefs(payload, "pbad");
      assert.equal(errorOf(r).condition, condition);
      assert.match(errorOf(r).text, text);
      const after = await iq(alice, `<iq type='get' id='pa'><prefs xmlns='${NS_MAM}'/></iq>`, "pa");
      assert.deepEqual(after.getChild("prefs", NS_MAM), before.getChild("prefs", NS_MAM));
    });
  }
});

describe("XEP-0313 server settings", () => {
  it("mam.default never: nothing is archived for users who set no preference", async () => {
    const t = await startServer({ "mam.default": "never" });
    try {
      for (const u of ["alice", "bob"]) await t.addUser(u, `pw-${u}`);
      const alice = await RawClient.login(t, "alice", "pw-alice", "desk");
      const bob = await RawClient.login(t, "bob", "pw-bob", "home");
      bob.client.send("<message to='alice@localhost' type='chat' id='x'><body>x</body></message>");
      const m = await alice.client.expect((e) => e.attr("id") === "x");
      assert.equal(m.getChild("stanza-id", NS_STANZA_ID), undefined);
      assert.equal((await query(alice, {})).count, 0);
      assert.equal((await query(bob, {})).count, 0);
      alice.client.close();
      bob.client.close();
    } finally {
      await t.stop();
    }
  });

  it("mam.retention-days: messages older than that are purged when the server starts", async () => {
    let t = await startServer();
    await t.addUser("alice", "pw-alice");
    const old = new Date(Date.now() - 3 * 24 * 3_600_000);
    const stanza = (body: string) =>
      `<message xmlns='jabber:client' from='bob@localhost/home' to='alice@localhost' type='chat'><body>${body}</body></message>`;
    await t.storage.archive.append("alice", {
      id: "old",
      stamp: old,
      with: "bob@localhost",
      stanza: stanza("old"),
    });
    await t.storage.archive.append("alice", {
      id: "new",
      stamp: new Date(),
      with: "bob@localhost",
      stanza: stanza("new"),
    });
    await t.stop();
    t = await startServer({ "mam.retention-days": "1" }, t.storage);
    try {
      const alice = await RawClient.login(t, "alice", "pw-alice", "desk");
      await sleep(QUIET);
      const a = await query(alice, {});
      assert.deepEqual(a.ids, ["new"]);
      assert.deepEqual(bodies(a), ["new"]);
      alice.client.close();
    } finally {
      await t.stop();
    }
  });
});
