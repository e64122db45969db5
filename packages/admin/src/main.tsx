// The admin console's entry point (issue 6): sign-in, then the console views.
import { render } from "preact";

function App() {
  return (
    <main>
      <h1>Hato admin</h1>
    </main>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
