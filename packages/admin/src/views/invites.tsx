// Invites: create a single-use invite link (shown with a copy button), list and revoke them.
import { useState } from "preact/hooks";
import { api, seg } from "../api.js";
import { attempt, CopyField, ErrorText, Head, TableBox, useLoad, When } from "../ui.js";

interface Invite {
  id: string;
  by: string;
  createdAt: string;
  expiresAt: string;
  note?: string;
}

/** The invites part of the users view. */
export function Invites() {
  const list = useLoad(() => api<{ invites: Invite[] }>("GET", "invites"));
  const [hours, setHours] = useState("72");
  const [note, setNote] = useState("");
  const [made, setMade] = useState<{ url: string; uri: string } | undefined>(undefined);
  const [error, setError] = useState("");

  async function create(e: Event): Promise<void> {
    e.preventDefault();
    const err = await attempt(async () => {
      const r = await api<{ url: string; uri: string }>("POST", "invites", {
        expiresInHours: Number(hours),
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      setMade(r);
      setNote("");
    });
    setError(err);
    list.reload();
  }

  return (
    <section aria-labelledby="invites-title">
      <h2 id="invites-title">Invites</h2>
      <form class="inline" onSubmit={create}>
        <label for="invite-hours">Valid for (hours)</label>
        <input
          id="invite-hours"
          type="number"
          min="1"
          max="720"
          required
          value={hours}
          onInput={(e) => setHours(e.currentTarget.value)}
        />
        <label for="invite-note">Note</label>
        <input id="invite-note" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        <button type="submit">Create invite link</button>
      </form>
      <ErrorText>{error}</ErrorText>
      {made && <CopyField label="Invite link" value={made.url} />}
      <ErrorText>{list.error}</ErrorText>
      {list.data && list.data.invites.length > 0 && (
        <TableBox label="Open invites">
          <table>
            <Head columns={["Note", "By", "Expires"]} actions />
            <tbody>
              {list.data.invites.map((i) => (
                <tr key={i.id}>
                  <td>{i.note ?? ""}</td>
                  <td>{i.by}</td>
                  <td>
                    <When at={i.expiresAt} />
                  </td>
                  <td>
                    <button
                      type="button"
                      class="secondary"
                      aria-label={`Revoke invite ${i.note ?? i.id}`}
                      onClick={async () => {
                        setError(await attempt(() => api("DELETE", `invites/${seg(i.id)}`)));
                        list.reload();
                      }}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
    </section>
  );
}
