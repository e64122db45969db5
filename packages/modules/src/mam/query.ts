// XEP-0313 §4 queries: the data form filters and XEP-0059 paging, checked into an ArchiveQuery.
import { StanzaError } from "@hato/core";
import { parseJid } from "@hato/jid";
import { type Element, xml } from "@hato/xml";
import type { ArchiveQuery } from "./types.js";

export const NS_MAM = "urn:xmpp:mam:2";
export const NS_RSM = "http://jabber.org/protocol/rsm";
const NS_DATA = "jabber:x:data";
const NS_VALIDATE = "http://jabber.org/protocol/xdata-validate";
/** Longest archive id or query id accepted (ours are 22 characters). */
const MAX_ID = 256;

export interface ParsedQuery {
  query: ArchiveQuery;
  queryId: string | undefined;
  /** XEP-0313 §4.1.3.3: send the page newest first. */
  flip: boolean;
}

/** The form a client gets when it asks which fields queries support (§4.1.4). */
export function queryForm(): Element {
  return xml(
    "query",
    { xmlns: NS_MAM },
    xml(
      "x",
      { xmlns: NS_DATA, type: "form" },
      xml("field", { type: "hidden", var: "FORM_TYPE" }, xml("value", {}, NS_MAM)),
      xml("field", { type: "jid-single", var: "with" }),
      xml("field", { type: "text-single", var: "start" }),
      xml("field", { type: "text-single", var: "end" }),
      xml("field", { type: "text-single", var: "before-id" }),
      xml("field", { type: "text-single", var: "after-id" }),
      xml(
        "field",
        { type: "list-multi", var: "ids" },
        xml("validate", { xmlns: NS_VALIDATE, datatype: "xs:string" }, xml("open", {})),
      ),
    ),
  );
}

const bad = (text: string) => new StanzaError("bad-request", text);

/** An archive id as a client may send it. */
function archiveId(what: string, value: string): string {
  if (value === "") throw bad(`${what} is empty`);
  if (value.length > MAX_ID) throw bad(`${what} is longer than ${MAX_ID} characters`);
  return value;
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** A XEP-0082 DateTime, with the calendar checked (no 31 February). */
export function parseDateTime(what: string, value: string): Date {
  const m = DATETIME.exec(value);
  const fail = () => bad(`${what} must be a XEP-0082 date and time like 2024-05-01T12:00:00Z`);
  if (!m) throw fail();
  const [year, month, day, hour, min, sec] = m.slice(1, 7).map(Number) as number[];
  const days = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (month! < 1 || month! > 12 || day! < 1 || day! > days || hour! > 23 || min! > 59 || sec! > 59)
    throw fail();
  const zone = m[8]!;
  if (zone !== "Z" && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4)) > 59)) throw fail();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw fail();
  return new Date(t);
}

/** Reads the form's fields into the query; unknown fields are refused as §4.1.4 says. */
function readForm(x: Element, q: ArchiveQuery, maxPage: number): void {
  const type = x.attr("type");
  if (type !== undefined && type !== "submit") throw bad("the query form must be of type submit");
  const seen = new Set<string>();
  for (const field of x.getChildren("field", NS_DATA)) {
    const name = field.attr("var");
    if (name === undefined) throw bad("a form field has no var");
    if (seen.has(name)) throw bad(`the field ${name} appears twice`);
    seen.add(name);
    const values = field.getChildren("value", NS_DATA).map((v) => v.text());
    if (name === "ids") {
      if (values.length === 0) throw bad("ids needs at least one value");
      if (values.length > maxPage) throw bad(`ids may name at most ${maxPage} messages`);
      q.ids = [...new Set(values.map((v) => archiveId("an id in ids", v)))];
      continue;
    }
    if (values.length > 1) throw bad(`the field ${name} takes one value`);
    const value = values[0];
    if (value === undefined) continue; // an empty field filters nothing
    switch (name) {
      case "FORM_TYPE":
        if (value !== NS_MAM) throw bad(`FORM_TYPE must be ${NS_MAM}`);
        break;
      case "with": {
        const j = parseJid(value);
        if (!j.ok) {
          throw new StanzaError("jid-malformed", `with is not a valid JID: ${j.reason}`);
        }
        if (j.jid.resource !== "") {
          throw new StanzaError(
            "feature-not-implemented",
            "with must be a bare JID here; filtering by resource is not supported",
          );
        }
        q.with = j.jid.toString();
        break;
      }
      case "start":
        q.start = parseDateTime("start", value);
        break;
      case "end":
        q.end = parseDateTime("end", value);
        break;
      case "after-id":
        q.after = archiveId("after-id", value);
        break;
      case "before-id":
        q.before = archiveId("before-id", value);
        break;
      default:
        throw new StanzaError(
          "feature-not-implemented",
          `the query field "${name.slice(0, 100)}" is not supported`,
        );
    }
  }
}

/** Reads the RSM <set/> (XEP-0059 §2) on top of the form's bounds. */
function readSet(set: Element, q: ArchiveQuery, maxPage: number): void {
  for (const c of set.elements()) {
    const text = c.text().trim();
    switch (c.name) {
      case "max":
        // A page bigger than the server allows is lowered (§4.1.5); nonsense is refused.
        if (!/^\d+$/.test(text))
          throw bad(`RSM max must be a non-negative integer, not "${text.slice(0, 40)}"`);
        if (text.length > 9)
          throw bad(
            `RSM max ${text.slice(0, 40)} is absurdly large; pages hold at most ${maxPage}`,
          );
        q.limit = Math.min(Number(text), maxPage);
        break;
      case "after":
        if (q.after !== undefined) {
          throw bad("give either the after-id field or RSM after, not both");
        }
        q.after = archiveId("RSM after", text);
        break;
      case "before":
        if (text === "") {
          q.before ??= true; // the last page (before before-id, when given)
        } else {
          if (q.before !== undefined) {
            throw bad("give either the before-id field or RSM before, not both");
          }
          q.before = archiveId("RSM before", text);
        }
        break;
      case "index":
        throw new StanzaError(
          "feature-not-implemented",
          "paging by index is not supported; page with after and before",
        );
      default:
        throw bad(`unknown RSM element <${c.name.slice(0, 40)}/>`);
    }
  }
}

/** Checks a <query/> and turns it into a storage query; throws StanzaError with the reason. */
export function parseQuery(el: Element, maxPage: number): ParsedQuery {
  const queryId = el.attr("queryid");
  if (queryId !== undefined && queryId.length > MAX_ID) {
    throw bad(`queryid is longer than ${MAX_ID} characters`);
  }
  const query: ArchiveQuery = { limit: maxPage };
  const forms = el.getChildren("x", NS_DATA);
  if (forms.length > 1) throw bad("a query takes one data form");
  if (forms[0]) readForm(forms[0], query, maxPage);
  const sets = el.getChildren("set", NS_RSM);
  if (sets.length > 1) throw bad("a query takes one RSM set");
  if (sets[0]) readSet(sets[0], query, maxPage);
  return { query, queryId, flip: el.getChild("flip-page", NS_MAM) !== undefined };
}
