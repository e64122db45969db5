// Minimal types for the parts of ltx (no @types package) that the XML benchmark uses.
declare module "ltx" {
  import type { EventEmitter } from "node:events";

  export class Element {
    constructor(name: string, attrs?: Record<string, string>);
    name: string;
    parent: Element | null;
    attrs: Record<string, string>;
    children: (Element | string)[];
    append(...nodes: (Element | string)[]): this;
    t(text: string): this;
    getNS(): string | undefined;
    getChildText(name: string, xmlns?: string): string | null;
  }

  /** The streaming SAX parser behind ltx.Parser (what @xmpp/xml uses). */
  export interface SaxParser extends EventEmitter {
    write(data: string | Uint8Array): void;
  }

  export class Parser extends EventEmitter {
    DefaultParser: new () => SaxParser;
  }
}
