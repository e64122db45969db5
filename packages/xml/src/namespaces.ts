// Namespace resolution for the parser (Namespaces in XML 1.0, 3rd ed., §3–§6).
//
// Each element's namespace and each prefixed attribute is resolved against the bindings in
// scope, so the tree handed to the server is unambiguous whatever prefixes the sender chose.

import { Element } from "./element.js";
import { fail } from "./failure.js";
import { NS_XML, NS_XMLNS } from "./ns.js";

/**
 * Prefix bindings in scope. A stack of URIs per prefix makes lookup O(1) however deep the
 * nesting and however many declarations an attacker piles up.
 */
export class NsScope {
  private readonly bound = new Map<string, string[]>();
  private readonly declared: string[] = [];
  private readonly marks: number[] = [];
  private readonly defaults: string[] = [""];

  /** The default namespace in scope. */
  get defaultNs(): string {
    return this.defaults[this.defaults.length - 1]!;
  }

  /** The URI bound to a prefix, or undefined. */
  lookup(prefix: string): string | undefined {
    const stack = this.bound.get(prefix);
    return stack === undefined ? undefined : stack[stack.length - 1];
  }

  /** Opens an element's scope. */
  begin(): void {
    this.marks.push(this.declared.length);
  }

  /** Binds a prefix for the element whose scope is open; false if it already bound it. */
  declare(prefix: string, uri: string): boolean {
    const mark = this.marks[this.marks.length - 1]!;
    for (let k = mark; k < this.declared.length; k++) if (this.declared[k] === prefix) return false;
    this.declared.push(prefix);
    const stack = this.bound.get(prefix);
    if (stack === undefined) this.bound.set(prefix, [uri]);
    else stack.push(uri);
    return true;
  }

  /** Sets the open element's default namespace (called once per element). */
  setDefault(uri: string): void {
    this.defaults.push(uri);
  }

  /** Closes the innermost element's scope. */
  end(): void {
    const mark = this.marks.pop()!;
    while (this.declared.length > mark) {
      const stack = this.bound.get(this.declared.pop()!)!;
      stack.pop();
    }
    this.defaults.pop();
  }

  /** Forgets every binding. */
  clear(): void {
    this.bound.clear();
    this.declared.length = 0;
    this.marks.length = 0;
    this.defaults.length = 1;
  }
}

function isDeclaration(q: string): boolean {
  return (
    q.charCodeAt(0) === 0x78 /* x */ &&
    q.startsWith("xmlns") &&
    (q.length === 5 || q.charCodeAt(5) === 0x3a)
  );
}

function checkUri(what: string, uri: string): void {
  if (uri === NS_XML) fail("not-well-formed", `${what} cannot be bound to the XML namespace`);
  if (uri === NS_XMLNS) fail("not-well-formed", `${what} cannot be bound to the xmlns namespace`);
}

/**
 * Builds the element for a start tag from its raw attributes, opening its namespace scope
 * (the caller closes it with scope.end() when the element ends).
 */
export function buildElement(
  scope: NsScope,
  qname: string,
  names: string[],
  values: string[],
  count: number,
): Element {
  scope.begin();
  let defaultNs = scope.defaultNs;
  let sawDefault = false;
  for (let k = 0; k < count; k++) {
    const q = names[k]!;
    if (!isDeclaration(q)) continue;
    const uri = values[k]!;
    if (q.length === 5) {
      if (sawDefault) fail("not-well-formed", "duplicate attribute xmlns");
      sawDefault = true;
      if (uri !== "") checkUri("the default namespace", uri);
      defaultNs = uri;
      continue;
    }
    const prefix = q.slice(6);
    if (prefix === "xmlns") fail("not-well-formed", "the xmlns prefix must not be declared");
    if (prefix === "xml") {
      if (uri !== NS_XML)
        fail("not-well-formed", "the xml prefix cannot be bound to another namespace");
    } else {
      if (uri === "") fail("not-well-formed", `empty namespace declaration for prefix ${prefix}`);
      checkUri(`prefix ${prefix}`, uri);
    }
    if (!scope.declare(prefix, uri)) fail("not-well-formed", `duplicate attribute ${q}`);
  }
  scope.setDefault(defaultNs);

  let local = qname;
  let ns = defaultNs;
  const colon = qname.indexOf(":");
  if (colon > 0) {
    const prefix = qname.slice(0, colon);
    local = qname.slice(colon + 1);
    ns = resolvePrefix(scope, prefix, qname);
  }

  const attrs: Record<string, string> = {};
  for (let k = 0; k < count; k++) {
    const q = names[k]!;
    if (isDeclaration(q)) continue;
    let key = q;
    const c = q.indexOf(":");
    if (c > 0) {
      const prefix = q.slice(0, c);
      if (prefix !== "xml") key = "{" + resolvePrefix(scope, prefix, q) + "}" + q.slice(c + 1);
    }
    if (attrs[key] !== undefined && Object.hasOwn(attrs, key)) {
      fail(
        "not-well-formed",
        key === q
          ? `duplicate attribute ${q}`
          : `duplicate attribute ${key} after namespace resolution`,
      );
    }
    if (key === "__proto__") {
      Object.defineProperty(attrs, key, {
        value: values[k]!,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      attrs[key] = values[k]!;
    }
  }
  return new Element(local, ns, attrs, []);
}

function resolvePrefix(scope: NsScope, prefix: string, qname: string): string {
  if (prefix === "xml") return NS_XML;
  if (prefix === "xmlns") fail("not-well-formed", `the xmlns prefix is reserved (${qname})`);
  const uri = scope.lookup(prefix);
  if (uri === undefined) fail("not-well-formed", `unbound namespace prefix ${prefix} (${qname})`);
  return uri;
}
