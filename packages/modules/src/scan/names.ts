// Built-in scanner rules on file names: programs and scripts by extension, double extensions
// (`invoice.pdf.exe`) and names that hide their real extension with bidi controls or padding.

/** A rule that matched: a stable signature name and a reason a user understands. */
export interface Finding {
  signature: string;
  reason: string;
}

/**
 * Extensions Windows, macOS or Android run, install or mount on a double click (or that open
 * something which does). Refused by name alone, whatever the content.
 */
export const BLOCKED_EXTENSIONS: ReadonlyMap<string, string> = new Map([
  // Windows programs and libraries
  ...["exe", "dll", "scr", "com", "pif", "cpl", "sys", "drv", "ocx", "msi", "msp", "mst"].map(
    (e) => [e, "a Windows program"] as const,
  ),
  ...["appx", "appxbundle", "msix", "msixbundle", "application", "gadget"].map(
    (e) => [e, "a Windows program"] as const,
  ),
  // Windows scripts (Windows Script Host runs .js and .jse files, not a browser)
  ...[
    "bat",
    "cmd",
    "ps1",
    "psm1",
    "psd1",
    "vbs",
    "vbe",
    "js",
    "jse",
    "wsf",
    "wsh",
    "ws",
    "wsc",
  ].map((e) => [e, "a Windows script"] as const),
  ...["hta", "msc", "scf", "inf", "reg", "lnk", "url", "chm", "settingcontent-ms"].map(
    (e) => [e, "a Windows shortcut or script"] as const,
  ),
  // Disk images: Windows mounts them with a double click and their content escapes the
  // "downloaded from the internet" mark, a common way to deliver programs.
  ...["iso", "img", "vhd", "vhdx"].map((e) => [e, "a disk image"] as const),
  // Other platforms' programs
  ...["jar", "class"].map((e) => [e, "a Java program"] as const),
  ...["apk", "xapk", "aab", "dex"].map((e) => [e, "an Android app"] as const),
  ...["app", "pkg", "dmg", "command"].map((e) => [e, "a macOS program"] as const),
  // Office documents whose name says they carry macros
  ...["docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppam", "ppsm", "sldm"].map(
    (e) => [e, "a document with macros"] as const,
  ),
]);

/** Extensions a disguised program pretends to have (the middle one of `invoice.pdf.exe`). */
const DECOY_EXTENSIONS = new Set([
  ..."pdf doc docx xls xlsx ppt pptx odt ods odp rtf txt csv md html htm xml json".split(" "),
  ..."jpg jpeg png gif bmp webp heic tif tiff svg mp3 mp4 m4a wav mov avi mkv webm".split(" "),
  ..."zip rar 7z gz tar eml msg ics vcf".split(" "),
]);

/** Bidi controls and invisible characters that reorder or hide parts of a displayed name. */
const HIDDEN =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each of these is looked for on its own
  /[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** The name as Windows would resolve it: hidden characters gone, trailing dots and spaces too. */
export function effectiveName(name: string): string {
  const base = name.split(/[/\\]/).at(-1) ?? "";
  return base.replace(HIDDEN, "").replace(/[.\s]+$/u, "");
}

/** The last extension of a name (lowercase, without the dot), or "". */
export function extensionOf(name: string): string {
  const n = effectiveName(name);
  const dot = n.lastIndexOf(".");
  return dot < 0 ? "" : n.slice(dot + 1).toLowerCase();
}

/**
 * Matches a name that is, or hides, a program. `what` names the item in the reason, such as
 * "the file (invoice.pdf.exe)".
 */
export function checkName(name: string, what: string): Finding | null {
  const ext = extensionOf(name);
  const kind = BLOCKED_EXTENSIONS.get(ext);
  if (!kind) return null;
  const base = name.split(/[/\\]/).at(-1) ?? "";
  const clean = effectiveName(name);
  const parts = clean.split(".");
  const decoy = parts.length > 2 ? parts.at(-2)!.trim().toLowerCase() : "";
  const what2 = kind === "a document with macros" ? "documents with macros" : "programs";
  if (new RegExp(HIDDEN.source).test(base)) {
    return {
      signature: "Hato.Name.HiddenExtension",
      reason: `${what} hides its real type with invisible characters: it is ${kind} — ${what2} cannot be shared`,
    };
  }
  if (DECOY_EXTENSIONS.has(decoy)) {
    return {
      signature: "Hato.Name.DoubleExtension",
      reason: `${what} pretends to be a .${decoy} file but is ${kind} — ${what2} cannot be shared`,
    };
  }
  if (clean !== base || /\s{2,}|\s\.|\.\s/.test(clean)) {
    return {
      signature: "Hato.Name.HiddenExtension",
      reason: `${what} hides its real type with spaces or dots: it is ${kind} — ${what2} cannot be shared`,
    };
  }
  return {
    signature: `Hato.Extension.${ext.replace(/[^a-z0-9]/g, "_")}`,
    reason: `${what} is ${kind} — ${what2} cannot be shared`,
  };
}

/** A name safe to quote in a reason: hidden and control characters shown as `?`, bounded. */
export function printable(name: string): string {
  const s = name.replace(HIDDEN, "?").replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return s.length > 120 ? s.slice(0, 57) + "…" + s.slice(-60) : s;
}
