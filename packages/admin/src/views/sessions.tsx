// Live sessions: who, with which client software, from where, since when, TLS, transport and
// whether their last 1:1 message was end-to-end encrypted; an admin may end one.
import { useState } from "preact/hooks";
import { api, seg } from "../api.js";
import { attempt, ErrorText, Head, Status, TableBox, useLoad, When } from "../ui.js";

interface LiveSession {
  jid: string;
  username: string;
  resource: string;
  address: string;
  since: string;
  transport: string;
  tls: string;
  client: { name?: string; version?: string; os?: string; node?: string } | null;
  e2ee: boolean | null;
}

function client(c: LiveSession["client"]): string {
  if (!c) return "unknown";
  const named = [c.name, c.version].filter(Boolean).join(" ");
  return [named || c.node || "unknown", c.os ? `(${c.os})` : ""].filter(Boolean).join(" ");
}

/** The live sessions view. */
export function SessionsView() {
  const list = useLoad(() => api<{ sessions: LiveSession[] }>("GET", "sessions"));
  const [error, setError] = useState("");
  const [status, setStatus] = useState("");
  const sessions = list.data?.sessions ?? [];
  return (
    <>
      <div class="actions">
        <button type="button" class="secondary" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <ErrorText>{list.error || error}</ErrorText>
      <Status>{status || (list.data ? `${sessions.length} live session(s).` : "")}</Status>
      <TableBox label="Live sessions">
        <table>
          <Head
            columns={["Session", "Client", "From", "Since", "Connection", "Encrypted"]}
            actions
          />
          <tbody>
            {sessions.map((s) => (
              <tr key={s.jid}>
                <th scope="row">{s.jid}</th>
                <td>{client(s.client)}</td>
                <td>{s.address}</td>
                <td>
                  <When at={s.since} />
                </td>
                <td>
                  {s.transport}, {s.tls}
                </td>
                <td>{s.e2ee === null ? "no message yet" : s.e2ee ? "yes (OMEMO)" : "no"}</td>
                <td>
                  <button
                    type="button"
                    class="secondary"
                    aria-label={`End session ${s.jid}`}
                    onClick={async () => {
                      const err = await attempt(() => api("DELETE", `sessions/${seg(s.jid)}`));
                      setError(err);
                      setStatus(err ? "" : `Ended ${s.jid}.`);
                      list.reload();
                    }}
                  >
                    End
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
    </>
  );
}
