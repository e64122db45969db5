// Problems the SDK reports (a dropped stanza, a failed history query), until dismissed.
import type { ChatStore } from "../state/store.js";

/** The latest problems, in an alert region, with a button to clear them. */
export function ErrorBar({ store }: { store: ChatStore }) {
  return (
    <div role="alert" class="errors">
      {store.errors.length === 0 ? null : (
        <>
          <ul>
            {store.errors.map((e, i) => (
              <li key={i}>{e}</li>
            ))}
          </ul>
          <button
            type="button"
            onClick={() => {
              store.errors = [];
              store.changed();
            }}
          >
            Dismiss
          </button>
        </>
      )}
    </div>
  );
}
