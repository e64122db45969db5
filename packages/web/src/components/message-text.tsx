// Someone's message as text nodes and http(s) links only; very long text is shown in parts.
import { useMemo, useState } from "preact/hooks";
import { cutText, stripBidiControls } from "../text/clean.js";
import { linkify } from "../text/linkify.js";

/** How much of a message is shown at first, and how much more each "Show more" adds. */
export const SHOWN_AT_FIRST = 4000;
const MORE = 64_000;

/** The body of a message; dir="auto" isolates its direction from the rest of the page. */
export function MessageText({ body }: { body: string }) {
  const [limit, setLimit] = useState(SHOWN_AT_FIRST);
  const clean = useMemo(() => stripBidiControls(body), [body]);
  const shown = cutText(clean, limit);
  const segments = useMemo(() => linkify(shown), [shown]);
  const hidden = clean.length - shown.length;
  return (
    <div class="text" dir="auto">
      {segments.map((s, i) =>
        s.kind === "text" ? (
          s.text
        ) : (
          <a key={i} href={s.href} target="_blank" rel="noopener noreferrer nofollow">
            {s.text}
          </a>
        ),
      )}
      {hidden > 0 ? (
        <>
          {"… "}
          <button type="button" class="more" onClick={() => setLimit(limit + MORE)}>
            Show more
            <span class="sr-only"> ({Math.ceil(hidden / 1000)} thousand characters left)</span>
          </button>
        </>
      ) : null}
    </div>
  );
}
