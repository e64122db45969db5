// The signed-in view: contacts beside the open chat (one pane at a time on narrow screens).
import { useEffect } from "preact/hooks";
import { startNotifications } from "../notify.js";
import type { ChatStore } from "../state/store.js";
import { useStore } from "../state/use-store.js";
import { AddContact } from "./add-contact.js";
import { ChatView } from "./chat-view.js";
import { ConnectionBanner } from "./connection-banner.js";
import { ContactList } from "./contact-list.js";
import { ErrorBar } from "./error-bar.js";
import { KeyLogBanner } from "./keylog-banner.js";
import { NotificationsButton } from "./notifications-button.js";
import { PolicyPanel } from "./policy-panel.js";
import { Requests } from "./requests.js";

interface Props {
  store: ChatStore;
  onSignOut: () => void;
}

/** Keeps store.visible in step with the tab, and the unread total in the title. */
function useVisibility(store: ChatStore): void {
  useEffect(() => {
    const update = () => {
      store.visible = document.visibilityState === "visible";
      store.changed();
    };
    update();
    document.addEventListener("visibilitychange", update);
    return () => document.removeEventListener("visibilitychange", update);
  }, [store]);
}

/** Contacts, requests and the open chat. */
export function Messenger({ store, onSignOut }: Props) {
  useStore(store);
  useVisibility(store);
  useEffect(() => startNotifications(store), [store]);
  const unread = store.totalUnread();
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Hato` : "Hato";
  }, [unread]);
  const active = store.active;
  const contact = store.contacts.find((c) => c.jid === active);

  return (
    <div class={active === undefined ? "layout" : "layout chat-open"}>
      <ConnectionBanner status={store.status} detail={store.statusDetail} />
      <ErrorBar store={store} />
      <KeyLogBanner client={store.client} />
      <header class="top">
        <h1>Hato</h1>
        <span class="me">{store.client.jid}</span>
        <NotificationsButton />
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main class="panes">
        <nav class="side" aria-label="Contacts and requests">
          <Requests store={store} />
          <AddContact store={store} />
          <ContactList store={store} />
          <PolicyPanel store={store} />
        </nav>
        <div class="chat">
          {active === undefined ? (
            <p class="empty">Choose a contact to start chatting.</p>
          ) : (
            <ChatView key={active} store={store} peer={active} contact={contact} />
          )}
        </div>
      </main>
    </div>
  );
}
