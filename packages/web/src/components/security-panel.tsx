// The Security panel of a 1:1 chat: the contact's devices with fingerprints and trust, our own
// QR code and fingerprint, scanning their code with the camera, comparing a short code, and
// accepting a changed key. The rule it explains (blind trust until the user verifies a device,
// then only verified devices) is the SDK's (docs/e2ee.md).
import { formatFingerprint, type Trust } from "@hato/sdk";
import { useEffect, useRef, useState } from "preact/hooks";
import type { ChatStore } from "../state/store.js";
import { deviceKey, NS_OMEMO2, namespaceName, type PeerTrust } from "../state/trust.js";
import { KeyLogStatus } from "./keylog-status.js";
import { QrCode, QrScanner } from "./qr.js";

const TRUST_TEXT: Record<Trust, string> = {
  verified: "Verified",
  blind: "Not verified: gets your messages until you verify one of this contact's devices",
  untrusted: "Not trusted: gets no messages until you verify it",
};

/** The panel for `peer` (shown under the chat header while open). */
export function SecurityPanel({
  store,
  peer,
  name,
}: {
  store: ChatStore;
  peer: string;
  name: string;
}) {
  const p = store.trust.of(peer);
  const own = store.trust.own();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const [scanning, setScanning] = useState(false);
  return (
    <section id="security-panel" class="security" aria-labelledby="security-h">
      <div class="security-head">
        <h3 id="security-h" tabIndex={-1} ref={heading}>
          Security of the chat with <bdi>{name}</bdi>
        </h3>
        <button type="button" onClick={() => store.trust.toggle(peer)}>
          Close<span class="sr-only"> security</span>
        </button>
      </div>
      <Result result={p.result} />
      <h4>
        Devices of <bdi>{name}</bdi>
      </h4>
      <p class="muted">
        Until you verify one of <bdi>{name}</bdi>'s devices, all of them get your messages. After
        that, only verified devices do.
      </p>
      <Devices store={store} peer={peer} p={p} />
      <h4>Your code</h4>
      {own === undefined ? (
        <p>Encryption is not set up on this device yet.</p>
      ) : (
        <div class="own-code">
          <QrCode text={own.uri} label="Your verification QR code" />
          <p>
            This device ({own.device}):{" "}
            <code class="fp" data-testid="own-fingerprint">
              {formatFingerprint(own.fingerprint)}
            </code>
          </p>
          <p class="muted">
            Let <bdi>{name}</bdi> scan this code, or scan theirs.
          </p>
        </div>
      )}
      <h4>Scan their code</h4>
      {scanning ? (
        <>
          <QrScanner
            onCode={(text) => {
              setScanning(false);
              void store.trust.verifyScanned(peer, text);
            }}
            onError={(text) => {
              setScanning(false);
              p.result = { ok: false, text };
              store.changed();
            }}
          />
          <button type="button" onClick={() => setScanning(false)}>
            Stop the camera
          </button>
        </>
      ) : (
        <button type="button" onClick={() => setScanning(true)} disabled={own === undefined}>
          Scan their code
        </button>
      )}
      <h4>Key log</h4>
      {/* The contact's keys against the organisation's key log (keylog-status.tsx). */}
      <div class="security-keylog" data-slot="keylog">
        <KeyLogStatus client={store.client} jid={peer} />
      </div>
    </section>
  );
}

/** The outcome of the last verification: a status, or an alert for a mismatch. */
function Result({ result }: { result: PeerTrust["result"] }) {
  return (
    <div class="verify-result" role="status">
      {result === undefined ? null : (
        <p class={result.ok ? "ok" : "warn"} role={result.ok ? undefined : "alert"}>
          {result.text}
        </p>
      )}
    </div>
  );
}

function Devices({ store, peer, p }: { store: ChatStore; peer: string; p: PeerTrust }) {
  if (p.loading && p.devices.length === 0) return <p class="muted">Looking up devices…</p>;
  return (
    <>
      {p.problems.length > 0 ? (
        <p class="muted">Some devices could not be read: {p.problems.join("; ")}</p>
      ) : null}
      {p.devices.length === 0 ? (
        <p>No encryption device is known for this contact yet.</p>
      ) : (
        <ul class="devices" aria-label="Devices">
          {p.devices.map((d) => {
            const code = p.codes.get(deviceKey(d));
            const ns = d.namespace;
            const v2 = ns === NS_OMEMO2;
            return (
              <li
                key={deviceKey(d)}
                class={`device ${d.trust}`}
                data-device={d.device}
                data-namespace={ns}
              >
                <p>
                  <strong>
                    Device {d.device}
                    {v2 ? ` (${namespaceName(ns)})` : null}
                  </strong>
                  {d.listed ? null : " (no longer listed)"}:{" "}
                  <span class="trust">{TRUST_TEXT[d.trust]}</span>
                </p>
                <p>
                  <code class="fp">{formatFingerprint(d.fingerprint)}</code>
                </p>
                <p class="muted">First seen {new Date(d.since).toLocaleString()}</p>
                {d.changedTo === undefined ? null : (
                  <div class="key-changed">
                    <p>
                      This device now presents another key:{" "}
                      <code class="fp">{formatFingerprint(d.changedTo)}</code>. It is refused until
                      you accept it; then verify it again.
                    </p>
                    <button
                      type="button"
                      onClick={() => void store.trust.acceptKey(peer, d.device, ns)}
                    >
                      Accept the new key<span class="sr-only"> of device {d.device}</span>
                    </button>
                  </div>
                )}
                {code === undefined ? (
                  <button
                    type="button"
                    onClick={() => void store.trust.showCode(peer, d.device, ns)}
                  >
                    Compare a code<span class="sr-only"> for device {d.device}</span>
                  </button>
                ) : (
                  <div class="compare">
                    <p>
                      Ask them to open Security in their chat with you and read their code. Yours:{" "}
                      <strong class="code" data-testid="short-code">
                        {code}
                      </strong>
                    </p>
                    <button
                      type="button"
                      onClick={() => void store.trust.compared(peer, d.device, true, ns)}
                    >
                      They match
                    </button>{" "}
                    <button
                      type="button"
                      onClick={() => void store.trust.compared(peer, d.device, false, ns)}
                    >
                      They don't match
                    </button>
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
