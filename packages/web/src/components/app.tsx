// The top level: the sign-in form until a client is online, then the messenger.
import { HatoClient } from "@hato/sdk";
import { useState } from "preact/hooks";
import { ChatStore } from "../state/store.js";
import { Messenger } from "./messenger.js";
import { SignIn } from "./sign-in.js";

/** The WebSocket endpoint of the server that served this page (same origin). */
function serviceUrl(): string {
  const scheme = location.protocol === "http:" ? "ws:" : "wss:";
  return `${scheme}//${location.host}/xmpp-websocket`;
}

/** The whole web client. */
export function App() {
  const [store, setStore] = useState<ChatStore | undefined>(undefined);

  async function signIn(jid: string, password: string): Promise<void> {
    const client = new HatoClient({ service: serviceUrl(), jid, password, resource: "web" });
    const next = new ChatStore(client);
    try {
      await client.connect();
    } catch (err) {
      next.dispose();
      void client.disconnect().catch(() => undefined);
      throw err;
    }
    setStore(next);
  }

  async function signOut(): Promise<void> {
    if (store === undefined) return;
    store.dispose();
    setStore(undefined);
    await store.client.disconnect().catch(() => undefined);
  }

  return store === undefined ? (
    <SignIn onSignIn={signIn} />
  ) : (
    <Messenger store={store} onSignOut={signOut} />
  );
}
