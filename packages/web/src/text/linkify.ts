// Splits message text into text runs and http(s) links, in one linear pass (no backtracking),
// so that a megabyte of text costs milliseconds. Nothing else ever becomes markup.

/** A run of plain text or a link whose href is an absolute http(s) URL. */
export type Segment = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

/** Longer candidates stay text: nobody clicks a 2 KB link, and it keeps URL parsing cheap. */
export const MAX_URL_LENGTH = 2048;

// "http://" or "https://" then a run of characters that cannot end a URL in prose. The
// class is followed by nothing, so the engine never backtracks into it.
const CANDIDATE = /\bhttps?:\/\/[^\s<>"'`\u0000-\u001f\u007f\u00a0\u2028\u2029]+/gi;
const TRAILING = /[.,;:!?*'"»”’]+$/;

/** Splits `text` into segments; links are http(s) URLs that `new URL` accepts with a host. */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    if (m[0].length > MAX_URL_LENGTH) continue;
    const raw = trimUrl(m[0]);
    const href = safeHref(raw);
    if (href === undefined) continue;
    if (m.index > last) out.push({ kind: "text", text: text.slice(last, m.index) });
    out.push({ kind: "link", text: raw, href });
    last = m.index + raw.length;
    CANDIDATE.lastIndex = last;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}

/** Drops punctuation that ends the sentence, and a closing bracket with no opening one. */
function trimUrl(url: string): string {
  let u = url.replace(TRAILING, "");
  for (const [open, close] of [
    ["(", ")"],
    ["[", "]"],
    ["{", "}"],
  ] as const) {
    while (u.endsWith(close) && count(u, close) > count(u, open)) {
      u = u.slice(0, -1).replace(TRAILING, "");
    }
  }
  return u;
}

function count(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i !== -1; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

/** The normalised href when `raw` is an absolute http(s) URL with a host, else undefined. */
export function safeHref(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.hostname === "" || url.username !== "" || url.password !== "") return undefined;
  return url.href;
}
