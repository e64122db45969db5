// "Your organisation": the rules of the organisation's policy that apply to the signed-in user,
// as the server words them (urn:hato:policy:0); rules not enforced yet say so in their text.
import type { ChatStore } from "../state/store.js";

/** "client version" → "Client version". */
const label = (rule: string) => (rule === "" ? "" : `${rule[0]!.toUpperCase()}${rule.slice(1)}`);

/** The policy summary, open at first; a user can fold it away. */
export function PolicyPanel({ store }: { store: ChatStore }) {
  const lines = store.policy;
  if (lines === undefined || lines.length === 0) return null;
  return (
    <section class="policy" aria-labelledby="policy-h">
      <details open>
        <summary id="policy-h">Your organisation</summary>
        <ul aria-label="Rules that apply to you">
          {lines.map((l, i) => (
            <li key={`${l.rule}-${i}`}>
              {l.rule === "" ? null : <strong>{label(l.rule)}: </strong>}
              {l.text}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
