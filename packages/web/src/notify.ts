// Desktop notifications (Notification API) for messages that arrive while the tab is hidden.

import { contactName } from "./components/contact-list.js";
import { displayName } from "./files/kind.js";
import type { ChatStore } from "./state/store.js";
import { cutText, stripBidiControls } from "./text/clean.js";

/** Notifications are possible here and the user has not decided yet. */
export function canAskForNotifications(): boolean {
  return typeof Notification !== "undefined" && Notification.permission === "default";
}

/** Asks for permission; must run inside a user gesture (a button's click). */
export async function askForNotifications(): Promise<NotificationPermission> {
  return Notification.requestPermission();
}

/** Shows a notification for each incoming message while the tab is hidden; returns a stop. */
export function startNotifications(store: ChatStore): () => void {
  store.onIncoming = (m) => {
    if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible") return;
    const contact = store.contacts.find((c) => c.jid === m.peer);
    const title = contactName(contact, m.peer);
    // The notification is plain text: the platform renders it, never as HTML.
    // An encrypted file's body is its link, key included: never shown.
    const text =
      m.encryption === "failed"
        ? "A message that could not be decrypted"
        : m.encryptedFile
          ? "Sent an encrypted file"
          : m.file
            ? `Sent a file: ${displayName(m.file.name)}`
            : m.body;
    const n = new Notification(title, {
      body: stripBidiControls(cutText(text, 200)),
      tag: m.peer,
    });
    n.onclick = () => {
      window.focus();
      store.open(m.peer);
      n.close();
    };
  };
  return () => {
    store.onIncoming = undefined;
  };
}
