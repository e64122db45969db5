// The list named "Contacts": one item per roster entry, named by its name or address.
import type { Contact } from "@hato/sdk";
import type { ChatStore } from "../state/store.js";
import { stripBidiControls } from "../text/clean.js";
import { Avatar } from "./avatar.js";
import { presenceOf } from "./presence.js";

/** What we call a contact: its roster name, else its address. */
export function contactName(c: Contact | undefined, jid: string): string {
  const name = c?.name === undefined ? "" : stripBidiControls(c.name).trim();
  return name === "" ? jid : name;
}

const ORDER: Record<string, number> = {
  chat: 0,
  available: 0,
  away: 1,
  dnd: 1,
  xa: 2,
  offline: 3,
};

/** Contacts sorted: online first, then by name. */
function sorted(list: Contact[]): Contact[] {
  return [...list].sort(
    (a, b) =>
      (ORDER[a.show] ?? 3) - (ORDER[b.show] ?? 3) ||
      contactName(a, a.jid).localeCompare(contactName(b, b.jid)),
  );
}

/** The contact list. */
export function ContactList({ store }: { store: ChatStore }) {
  const contacts = sorted(store.contacts);
  return (
    <section class="contacts" aria-labelledby="contacts-h">
      <h2 id="contacts-h">Contacts</h2>
      {contacts.length === 0 ? <p class="empty">No contacts yet. Add one above.</p> : null}
      <ul aria-label="Contacts">
        {contacts.map((c) => (
          <ContactItem key={c.jid} store={store} contact={c} />
        ))}
      </ul>
    </section>
  );
}

function ContactItem({ store, contact }: { store: ChatStore; contact: Contact }) {
  const name = contactName(contact, contact.jid);
  const unread = store.chat(contact.jid).unread;
  const current = store.active === contact.jid;
  const presence = presenceOf(contact.show, store.status === "online");
  const status =
    contact.pendingOut && contact.subscription !== "both" && contact.subscription !== "to"
      ? "Awaiting approval"
      : presence.word;
  const statusText = contact.statusText ? stripBidiControls(contact.statusText) : "";
  return (
    <li aria-label={name}>
      <button
        type="button"
        class={current ? "contact current" : "contact"}
        data-jid={contact.jid}
        aria-current={current ? "true" : undefined}
        onClick={() => store.open(contact.jid)}
      >
        <Avatar contact={contact} label={name} />
        <span class="who">
          <bdi class="name">{name}</bdi>
          <span class="presence">
            <span class={`dot ${presence.dot}`} aria-hidden="true" />
            {status}
            {statusText === "" ? null : <bdi class="status-text"> — {statusText}</bdi>}
          </span>
        </span>
        {unread > 0 ? (
          <span class="badge">
            {unread}
            <span class="sr-only"> unread</span>
          </span>
        ) : null}
      </button>
    </li>
  );
}
