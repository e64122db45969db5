// XML element tree for XMPP stanzas (RFC 6120 §11: restricted XML, namespace-aware).

/** A child of an element: another element or a run of text (already unescaped). */
export type XmlNode = Element | string;

/**
 * One XML element with its namespace resolved.
 *
 * `xmlns` is the element's namespace URI. For elements built in code it may be left
 * `undefined`, meaning "whatever namespace is in scope where it is serialised", which is
 * how a child built without an `xmlns` attribute behaves in ltx and xmpp.js.
 * Unprefixed attributes are stored by local name; `xml:lang` keeps its prefix; any other
 * prefixed attribute is stored in Clark notation, `{namespace-uri}local`.
 */
export class Element {
  readonly name: string;
  xmlns: string | undefined;
  readonly attrs: Record<string, string>;
  readonly children: XmlNode[];

  constructor(
    name: string,
    xmlns?: string,
    attrs: Record<string, string> = {},
    children: XmlNode[] = [],
  ) {
    this.name = name;
    this.xmlns = xmlns;
    this.attrs = attrs;
    this.children = children;
  }

  /** The attribute's value, or undefined. */
  attr(name: string): string | undefined {
    return Object.hasOwn(this.attrs, name) ? this.attrs[name] : undefined;
  }

  /** First child element with this local name and, when given, this namespace. */
  getChild(name: string, xmlns?: string): Element | undefined {
    for (const c of this.children) {
      if (typeof c !== "string" && c.name === name && (xmlns === undefined || c.xmlns === xmlns)) {
        return c;
      }
    }
    return undefined;
  }

  /** Every child element with this local name (and namespace, when given). */
  getChildren(name: string, xmlns?: string): Element[] {
    const out: Element[] = [];
    for (const c of this.children) {
      if (typeof c !== "string" && c.name === name && (xmlns === undefined || c.xmlns === xmlns)) {
        out.push(c);
      }
    }
    return out;
  }

  /** Child elements only, in document order. */
  elements(): Element[] {
    return this.children.filter((c): c is Element => typeof c !== "string");
  }

  /** The concatenated text children of this element (not of descendants). */
  text(): string {
    let s = "";
    for (const c of this.children) if (typeof c === "string") s += c;
    return s;
  }

  /** Text of the first matching child, or undefined when there is no such child. */
  getChildText(name: string, xmlns?: string): string | undefined {
    return this.getChild(name, xmlns)?.text();
  }

  /** Appends children and returns this element, for building. */
  append(...nodes: (XmlNode | undefined | null | false)[]): this {
    for (const n of nodes) if (n !== undefined && n !== null && n !== false) this.children.push(n);
    return this;
  }

  /** Removes every child element matching the predicate; returns how many went. */
  removeChildren(pred: (el: Element) => boolean): number {
    let removed = 0;
    for (let i = this.children.length - 1; i >= 0; i--) {
      const c = this.children[i]!;
      if (typeof c !== "string" && pred(c)) {
        this.children.splice(i, 1);
        removed++;
      }
    }
    return removed;
  }

  /** A deep copy that shares no mutable state with this element. */
  clone(): Element {
    return new Element(
      this.name,
      this.xmlns,
      { ...this.attrs },
      this.children.map((c) => (typeof c === "string" ? c : c.clone())),
    );
  }
}

/**
 * Builds an element: `xml("iq", { type: "result", id }, xml("query", { xmlns: NS }))`.
 * An `xmlns` key in attrs sets the namespace; undefined attribute values are skipped.
 */
export function xml(
  name: string,
  attrs: Record<string, string | undefined> | null = null,
  ...children: (XmlNode | undefined | null | false)[]
): Element {
  let ns: string | undefined;
  const a: Record<string, string> = {};
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined) continue;
      if (k === "xmlns") ns = v;
      else if (k === "__proto__") {
        // A plain assignment would set the prototype and drop the attribute.
        Object.defineProperty(a, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else a[k] = v;
    }
  }
  return new Element(name, ns, a).append(...children);
}
