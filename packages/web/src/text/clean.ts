// Text from other users is shown as text only; these helpers make it safe to show as text.

/**
 * Bidi embedding/override/isolate controls (U+202A–U+202E, U+2066–U+2069): they let a
 * sender reorder what follows them (a file "gnp.exe" shown as "exe.png"), so we drop them.
 * Every message is also rendered with dir="auto" in its own isolate.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** Removes bidi override and isolate controls from text that someone else wrote. */
export function stripBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, "");
}

/** Cuts text at about `max` UTF-16 units without splitting a surrogate pair. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end);
}
