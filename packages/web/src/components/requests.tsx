// Incoming subscription requests, each with "Approve" and "Deny" buttons naming the requester.
import type { ChatStore } from "../state/store.js";

/** The list of people asking to see our presence. */
export function Requests({ store }: { store: ChatStore }) {
  if (store.requests.length === 0) return null;
  const settle = (jid: string, ok: boolean) => {
    if (ok) store.client.approve(jid);
    else store.client.deny(jid);
    store.requests = store.requests.filter((r) => r !== jid);
    store.changed();
  };
  return (
    <section class="requests" aria-labelledby="requests-h">
      <h2 id="requests-h">Contact requests</h2>
      <ul>
        {store.requests.map((jid) => (
          <li key={jid}>
            <span class="jid">{jid}</span> wants to add you.
            <span class="actions">
              <button type="button" aria-label={`Approve ${jid}`} onClick={() => settle(jid, true)}>
                Approve
              </button>
              <button type="button" aria-label={`Deny ${jid}`} onClick={() => settle(jid, false)}>
                Deny
              </button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
