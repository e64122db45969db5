// The add-contact form: adds to the roster and asks for a presence subscription.
import { useState } from "preact/hooks";
import type { ChatStore } from "../state/store.js";

/** "Contact address" + "Add contact". */
export function AddContact({ store }: { store: ChatStore }) {
  const [jid, setJid] = useState("");
  const [note, setNote] = useState("");

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    const target = jid.trim();
    if (!/^[^@\s/]+@[^@\s/]+$/.test(target)) {
      setNote("Enter an address like name@domain.");
      return;
    }
    try {
      await store.client.addContact(target);
      setJid("");
      setNote(`Asked ${target} to share presence.`);
    } catch (err) {
      setNote(`Could not add ${target}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  return (
    <form class="add-contact" onSubmit={submit}>
      <label for="add-jid">Contact address</label>
      <div class="row">
        <input
          id="add-jid"
          type="text"
          inputMode="email"
          autocapitalize="off"
          spellcheck={false}
          value={jid}
          onInput={(e) => setJid(e.currentTarget.value)}
        />
        <button type="submit">Add contact</button>
      </div>
      <p class="note" role="status">
        {note}
      </p>
    </form>
  );
}
