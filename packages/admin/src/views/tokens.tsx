// API tokens for scripts and Prometheus: a new token is shown once; the list never shows one.
import { useState } from "preact/hooks";
import { api, seg } from "../api.js";
import { attempt, CopyField, ErrorText, Head, Status, TableBox, useLoad, When } from "../ui.js";

interface Token {
  id: string;
  name: string;
  owner: string;
  createdAt: string;
  lastUsedAt?: string | null;
}

/** The tokens view. */
export function TokensView() {
  const list = useLoad(() => api<{ tokens: Token[] }>("GET", "tokens"));
  const [name, setName] = useState("");
  const [made, setMade] = useState<{ name: string; token: string } | undefined>(undefined);
  const [error, setError] = useState("");
  const [status, setStatus] = useState("");

  async function create(e: Event): Promise<void> {
    e.preventDefault();
    const n = name.trim();
    setError(
      await attempt(async () => {
        const r = await api<{ id: string; token: string }>("POST", "tokens", { name: n });
        setMade({ name: n, token: r.token });
        setName("");
      }),
    );
    list.reload();
  }

  return (
    <>
      <form class="inline" onSubmit={create}>
        <label for="token-name">Token name</label>
        <input
          id="token-name"
          required
          maxLength={100}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button type="submit">Create token</button>
      </form>
      <ErrorText>{list.error || error}</ErrorText>
      <Status>{status}</Status>
      {made && (
        <div class="panel">
          <p>
            <strong>Copy the token “{made.name}” now:</strong> it is not shown again.
          </p>
          <CopyField label="New token" value={made.token} />
        </div>
      )}
      <TableBox label="API tokens">
        <table>
          <Head columns={["Name", "Owner", "Created", "Last used"]} actions />
          <tbody>
            {list.data?.tokens.map((t) => (
              <tr key={t.id}>
                <th scope="row">{t.name}</th>
                <td>{t.owner}</td>
                <td>
                  <When at={t.createdAt} />
                </td>
                <td>{t.lastUsedAt ? <When at={t.lastUsedAt} /> : "never"}</td>
                <td>
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Revoke token ${t.name}`}
                    onClick={async () => {
                      const err = await attempt(() => api("DELETE", `tokens/${seg(t.id)}`));
                      setError(err);
                      setStatus(err ? "" : `Revoked ${t.name}.`);
                      if (made?.name === t.name) setMade(undefined);
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
    </>
  );
}
