// The three parsers under comparison, each driven the way an XMPP stack drives it: bytes in,
// one element tree per depth-1 stanza out.

import { type Element, StreamParser } from "@hato/xml";
import * as ltx from "ltx";
import { SaxesParser, type SaxesTagNS } from "saxes";

/** What the correctness cases look at in a stanza. */
export interface Summary {
  name: string;
  ns: string | undefined;
  body: string | undefined;
}

export interface Outcome {
  stanzas: Summary[];
  count: number;
  error?: string;
}

export interface Adapter {
  name: string;
  /** Parses the chunks; `summarise` false only counts stanzas (the throughput run). */
  parse(chunks: Uint8Array[], summarise: boolean): Outcome;
}

export const hato: Adapter = {
  name: "Hato StreamParser",
  parse(chunks, summarise) {
    const out: Outcome = { stanzas: [], count: 0 };
    const parser = new StreamParser({
      streamStart() {},
      stanza(el: Element) {
        out.count++;
        if (summarise)
          out.stanzas.push({ name: el.name, ns: el.xmlns, body: el.getChildText("body") });
      },
      streamEnd() {},
      error(e) {
        out.error ??= `${e.condition}: ${e.text}`;
      },
    });
    for (const c of chunks) parser.write(c);
    return out;
  },
};

interface SaxesNode {
  name: string;
  xmlns: string;
  attrs: Record<string, string>;
  children: (SaxesNode | string)[];
}

/** saxes with namespaces on, fed through a fatal streaming TextDecoder (saxes takes strings). */
export const saxes: Adapter = {
  name: "saxes (xmlns, fatal TextDecoder)",
  parse(chunks, summarise) {
    const out: Outcome = { stanzas: [], count: 0 };
    const parser = new SaxesParser({ xmlns: true, position: false });
    const stack: SaxesNode[] = [];
    const text = (t: string) => {
      if (stack.length > 1) stack[stack.length - 1]!.children.push(t);
    };
    parser.on("opentag", (tag: SaxesTagNS) => {
      const attrs: Record<string, string> = {};
      for (const a of Object.values(tag.attributes)) {
        if (a.prefix === "xmlns" || a.name === "xmlns") continue;
        attrs[a.uri ? `{${a.uri}}${a.local}` : a.local] = a.value;
      }
      const el: SaxesNode = { name: tag.local, xmlns: tag.uri, attrs, children: [] };
      if (stack.length > 1) stack[stack.length - 1]!.children.push(el);
      stack.push(el);
    });
    parser.on("closetag", () => {
      const el = stack.pop()!;
      if (stack.length !== 1) return;
      out.count++;
      if (summarise) {
        const body = el.children.find(
          (c): c is SaxesNode => typeof c !== "string" && c.name === "body",
        );
        out.stanzas.push({
          name: el.name,
          ns: el.xmlns,
          body: body?.children.filter((c) => typeof c === "string").join(""),
        });
      }
    });
    parser.on("text", text);
    parser.on("cdata", text);
    parser.on("error", (e) => {
      out.error ??= e.message;
    });
    const decoder = new TextDecoder("utf-8", { fatal: true });
    try {
      for (const c of chunks) parser.write(decoder.decode(c, { stream: true }));
    } catch (e) {
      out.error ??= (e as Error).message;
    }
    return out;
  },
};

/** ltx's SAX parser building ltx Elements, as @xmpp/xml does; chunks are decoded one by one as @xmpp/connection does (data.toString("utf8")). */
export const ltxParser: Adapter = {
  name: "ltx (as in xmpp.js)",
  parse(chunks, summarise) {
    const out: Outcome = { stanzas: [], count: 0 };
    const sax = new ltx.Parser.prototype.DefaultParser();
    let root: ltx.Element | null = null;
    let cursor: ltx.Element | null = null;
    sax.on("startElement", (name: string, attrs: Record<string, string>) => {
      const el = new ltx.Element(name, attrs);
      if (!root) root = el;
      else if (cursor !== root) cursor!.append(el);
      cursor = el;
    });
    sax.on("endElement", (name: string) => {
      if (!cursor || name !== cursor.name) {
        out.error ??= `${cursor?.name} must be closed`;
        return;
      }
      if (cursor === root) return;
      if (!cursor.parent) {
        cursor.parent = root;
        out.count++;
        if (summarise) {
          const body = cursor.getChildText("body");
          out.stanzas.push({
            name: cursor.name.replace(/^.*:/, ""),
            ns: cursor.getNS(),
            body: body ?? undefined,
          });
        }
        cursor = root;
        return;
      }
      cursor = cursor.parent;
    });
    sax.on("text", (s: string) => {
      if (cursor) cursor.t(s);
      else out.error ??= "text outside the root";
    });
    sax.on("error", (e: Error) => {
      out.error ??= e.message;
    });
    try {
      for (const c of chunks)
        sax.write(Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString("utf8"));
    } catch (e) {
      out.error ??= (e as Error).message;
    }
    return out;
  },
};

export const ADAPTERS: Adapter[] = [hato, saxes, ltxParser];
