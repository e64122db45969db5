// Chromium's flags for the browser benchmarks: those of test/support/browser.ts (root needs
// --no-sandbox; nothing calls home; no QUIC or GPU; localhost pinned to 127.0.0.1).

export const CHROMIUM_ARGS: string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--host-resolver-rules=MAP localhost 127.0.0.1",
];
