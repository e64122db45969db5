// Users: the table, adding an account, and for a chosen user lock/unlock, password reset, role,
// groups, deletion (confirmed by naming the account) and what the policy lets them do; invites.
import { useState } from "preact/hooks";
import { api, seg } from "../api.js";
import { attempt, Confirm, ErrorText, Head, Status, TableBox, useLoad, When } from "../ui.js";
import { Invites } from "./invites.js";

export interface User {
  username: string;
  address: string;
  role: string;
  groups: string[];
  locked: boolean;
  createdAt?: string;
  sessions: number;
  explain?: string[];
}

const PAGE = 100;

/** The users view. */
export function UsersView() {
  const [after, setAfter] = useState<string[]>([""]);
  const cursor = after[after.length - 1]!;
  const list = useLoad(
    () =>
      api<{ users: User[]; next?: string }>(
        "GET",
        `users?limit=${PAGE}${cursor ? `&after=${seg(cursor)}` : ""}`,
      ),
    [cursor],
  );
  const [chosen, setChosen] = useState("");
  const [status, setStatus] = useState("");

  return (
    <>
      <AddUser
        onAdded={(u) => {
          setStatus(`Added ${u}.`);
          list.reload();
        }}
      />
      <Status>{status}</Status>
      <section aria-labelledby="users-title">
        <h2 id="users-title">Accounts</h2>
        <ErrorText>{list.error}</ErrorText>
        <TableBox label="Account list">
          <table>
            <Head columns={["Account", "Role", "Groups", "State", "Sessions", "Created"]} />
            <tbody>
              {list.data?.users.map((u) => (
                <tr key={u.username}>
                  <th scope="row">
                    <button
                      type="button"
                      class="link"
                      aria-expanded={chosen === u.username}
                      aria-label={`Manage ${u.address}`}
                      onClick={() => setChosen(chosen === u.username ? "" : u.username)}
                    >
                      {u.address}
                    </button>
                  </th>
                  <td>{u.role}</td>
                  <td>{u.groups.join(", ")}</td>
                  <td>{u.locked ? <strong class="bad">locked</strong> : "active"}</td>
                  <td>{u.sessions}</td>
                  <td>
                    <When at={u.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
        <div class="actions">
          {after.length > 1 && (
            <button type="button" class="secondary" onClick={() => setAfter(after.slice(0, -1))}>
              Previous page
            </button>
          )}
          {list.data?.next && (
            <button
              type="button"
              class="secondary"
              onClick={() => setAfter([...after, list.data!.next!])}
            >
              Next page
            </button>
          )}
        </div>
      </section>
      {chosen !== "" && (
        <UserPanel
          key={chosen}
          name={chosen}
          onChanged={list.reload}
          onDeleted={(address) => {
            setChosen("");
            setStatus(`Deleted ${address}.`);
            list.reload();
          }}
        />
      )}
      <Invites />
    </>
  );
}

function AddUser({ onAdded }: { onAdded: (address: string) => void }) {
  const [address, setAddress] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    const err = await attempt(() => api("POST", "users", { address: address.trim(), password }));
    setError(err);
    if (err === "") {
      onAdded(address.trim());
      setAddress("");
      setPassword("");
    }
  }
  return (
    <form class="inline" onSubmit={submit} aria-labelledby="add-title">
      <h2 id="add-title">Add a user</h2>
      <label for="new-address">New address</label>
      <input
        id="new-address"
        required
        autocapitalize="off"
        spellcheck={false}
        value={address}
        onInput={(e) => setAddress(e.currentTarget.value)}
      />
      <label for="new-password">Initial password</label>
      <input
        id="new-password"
        type="password"
        autocomplete="new-password"
        required
        value={password}
        onInput={(e) => setPassword(e.currentTarget.value)}
      />
      <button type="submit">Add user</button>
      <ErrorText>{error}</ErrorText>
    </form>
  );
}

/** Everything that can be done to one account. */
function UserPanel(props: { name: string; onChanged: () => void; onDeleted: (a: string) => void }) {
  const user = useLoad(() => api<User>("GET", `users/${seg(props.name)}`));
  const [error, setError] = useState("");
  const [status, setStatus] = useState("");
  const [password, setPassword] = useState("");
  const [groups, setGroups] = useState<string | undefined>(undefined);
  const [role, setRole] = useState<string | undefined>(undefined);
  const [confirming, setConfirming] = useState(false);
  const u = user.data;
  const path = `users/${seg(props.name)}`;

  async function run(action: () => Promise<string>): Promise<void> {
    setStatus("");
    let done = "";
    const err = await attempt(async () => {
      done = await action();
    });
    setError(err);
    if (err === "") {
      setStatus(done);
      user.reload();
      props.onChanged();
    }
  }

  if (u === undefined)
    return (
      <section aria-label={`Account ${props.name}`}>
        <ErrorText>{user.error}</ErrorText>
      </section>
    );
  return (
    <section class="panel" aria-labelledby="user-title">
      <h2 id="user-title">{u.address}</h2>
      <Status>{status}</Status>
      <ErrorText>{error}</ErrorText>
      <div class="actions">
        <button
          type="button"
          onClick={() =>
            run(async () => {
              if (u.locked) {
                await api("POST", `${path}/unlock`);
                return `Unlocked ${u.address}.`;
              }
              const r = await api<{ closedSessions: number }>("POST", `${path}/lock`);
              return `Locked ${u.address}; ${r.closedSessions} live session(s) closed.`;
            })
          }
        >
          {u.locked ? "Unlock" : "Lock"}
        </button>
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Delete account
        </button>
      </div>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await api("PUT", `${path}/role`, { role: role ?? u.role });
            setRole(undefined);
            return "Role changed.";
          });
        }}
      >
        <label for="role">Role</label>
        <select id="role" value={role ?? u.role} onChange={(e) => setRole(e.currentTarget.value)}>
          <option value="admin">admin</option>
          <option value="user">user</option>
          <option value="limited">limited</option>
        </select>
        <button type="submit">Set role</button>
      </form>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          const list = (groups ?? u.groups.join(", "))
            .split(",")
            .map((g) => g.trim())
            .filter((g) => g !== "");
          void run(async () => {
            await api("PUT", `${path}/groups`, { groups: list });
            setGroups(undefined);
            return "Groups changed.";
          });
        }}
      >
        <label for="groups">Groups (comma-separated)</label>
        <input
          id="groups"
          value={groups ?? u.groups.join(", ")}
          onInput={(e) => setGroups(e.currentTarget.value)}
        />
        <button type="submit">Set groups</button>
      </form>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await api("POST", `${path}/password`, { password });
            setPassword("");
            return `New password set for ${u.address}.`;
          });
        }}
      >
        <label for="reset-password">New password</label>
        <input
          id="reset-password"
          type="password"
          autocomplete="new-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <button type="submit">Reset password</button>
      </form>
      {u.explain && u.explain.length > 0 && (
        <details>
          <summary>What the policy lets {u.username} do</summary>
          <ul>
            {u.explain.map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ul>
        </details>
      )}
      {confirming && (
        <Confirm
          title={`Delete ${u.address}?`}
          action={`Delete ${u.address}`}
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void attempt(() => api("DELETE", path)).then((err) =>
              err === "" ? props.onDeleted(u.address) : setError(err),
            );
          }}
        >
          <p>
            This removes the account {u.address} with its message archive, files and its entries in
            others' contact lists. It cannot be undone.
          </p>
        </Confirm>
      )}
    </section>
  );
}
