// The top level: the invite page when opened from an invite link, the sign-in form until a
// client is online, then the messenger.
import { HatoClient, inviteToken } from "@hato/sdk";
import { useState } from "preact/hooks";
import { openHistoryStore } from "../crypto/idb-history.js";
import { openOmemoStore } from "../crypto/idb-omemo-store.js";
import { openOmemo2Store } from "../crypto/idb-omemo2-store.js";
import { startKeyLog } from "../state/keylog.js";
import { ChatStore } from "../state/store.js";
import { InvitePage } from "./invite.js";
import { Messenger } from "./messenger.js";
import { SignIn } from "./sign-in.js";

/** The WebSocket endpoint of the server that served this page (same origin). */
function serviceUrl(): string {
  const scheme = location.protocol === "http:" ? "ws:" : "wss:";
  return `${scheme}//${location.host}/xmpp-websocket`;
}

/**
 * The invite of an invite link, `/invite#TOKEN` (`?domain=D` when the XMPP domain is not this
 * host's name). The token is in the fragment, which the browser never sends to the server.
 */
function inviteFromUrl(): { token: string; domain: string } | undefined {
  if (location.pathname !== "/invite") return undefined;
  const token = inviteToken(location.hash);
  if (token === undefined) return undefined;
  const domain = new URLSearchParams(location.search).get("domain") ?? location.hostname;
  return { token, domain };
}

/** Leaves the invite URL, so the token is neither in the address bar nor in the history. */
function forgetInviteUrl(): void {
  history.replaceState(null, "", "/");
}

/** The whole web client. */
export function App() {
  const [store, setStore] = useState<ChatStore | undefined>(undefined);
  const [invite, setInvite] = useState(inviteFromUrl);

  async function signIn(jid: string, password: string): Promise<void> {
    // End-to-end encryption is on for everyone: the keys live in this browser's IndexedDB.
    // Both OMEMO namespaces, as Converse.js: the SDK picks the one the peer's devices speak.
    const [omemo, omemo2] = await Promise.all([
      openOmemoStore(jid.toLowerCase()),
      openOmemo2Store(jid.toLowerCase()),
    ]).catch((err) => {
      throw new Error(`This browser cannot keep encryption keys (IndexedDB): ${String(err)}`);
    });
    // The decrypted history too: the archive holds only ciphertext (docs/e2ee.md).
    const history = await openHistoryStore(jid);
    const client = new HatoClient({
      service: serviceUrl(),
      jid,
      password,
      resource: "web",
      omemo,
      omemo2,
      history,
    });
    const next = new ChatStore(client);
    startKeyLog(client);
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

  function leaveInvite(): void {
    forgetInviteUrl();
    setInvite(undefined);
  }

  if (store !== undefined) return <Messenger store={store} onSignOut={signOut} />;
  if (invite !== undefined) {
    return (
      <InvitePage
        token={invite.token}
        domain={invite.domain}
        service={serviceUrl()}
        onRegistered={async (jid, password) => {
          // The invite is used up: whatever happens next, the link is no use any more.
          forgetInviteUrl();
          localStorage.setItem("hato.address", jid);
          try {
            await signIn(jid, password);
          } finally {
            setInvite(undefined);
          }
        }}
        onCancel={leaveInvite}
      />
    );
  }
  return <SignIn onSignIn={signIn} />;
}
