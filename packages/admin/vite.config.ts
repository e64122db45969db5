// Vite build of the admin console (served at /admin/): Oxc's built-in JSX transform (no Babel), and an index.html
// with no inline script or style so the server's CSP can forbid both.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/admin/",
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The preload polyfill is an inline script; every browser we support has modulepreload.
    modulePreload: { polyfill: false },
    // Inlined assets would be data: URLs; keep every asset a file the CSP's 'self' allows.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
    reportCompressedSize: true,
  },
});
