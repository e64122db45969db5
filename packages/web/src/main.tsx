// Entry point: mounts the Hato web client.
import { render } from "preact";
import { App } from "./components/app.js";

// A file dropped outside the conversation must not make the browser open it.
for (const ev of ["dragover", "drop"]) window.addEventListener(ev, (e) => e.preventDefault());

const root = document.getElementById("app");
if (root !== null) render(<App />, root);
