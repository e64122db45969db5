// The admin console's entry point (issue 6): sign-in, then the console views.
import { render } from "preact";
import { App } from "./app.js";

const root = document.getElementById("app");
if (root !== null) render(<App />, root);
