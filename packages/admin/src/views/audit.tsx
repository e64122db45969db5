// The audit log: the chain's verification first (it says whether anything below can be
// trusted), then entries newest first, filtered by kind and actor, searched, a page at a time.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorText, Head, TableBox, useLoad, When } from "../ui.js";

interface Entry {
  seq: number;
  at: string | number;
  kind: string;
  actor?: string;
  subject?: string;
  address?: string;
  details?: unknown;
}
type Verify =
  | { ok: true; entries: number; signedHeads: number }
  | { ok: false; firstBad: { seq: number; reason: string } };

interface Filter {
  kind: string;
  actor: string;
  q: string;
}

const PAGE = 50;

function VerifyBanner() {
  const v = useLoad(() => api<Verify>("GET", "audit/verify"));
  if (v.error) return <ErrorText>{`Could not verify the audit log: ${v.error}`}</ErrorText>;
  if (!v.data)
    return (
      <p class="verify" role="status">
        Verifying the audit log…
      </p>
    );
  const d = v.data;
  return d.ok ? (
    <p class="verify good" role="status">
      <strong>Audit log intact:</strong> {d.entries} entries verified, {d.signedHeads} signed
      head(s).
    </p>
  ) : (
    <p class="verify bad" role="alert">
      <strong>Audit log tampered with:</strong> the first bad entry is #{d.firstBad.seq} (
      {d.firstBad.reason}).
    </p>
  );
}

/** The audit log view. */
export function AuditView() {
  const [form, setForm] = useState<Filter>({ kind: "", actor: "", q: "" });
  const [filter, setFilter] = useState<Filter>(form);
  // The `before` cursors of the pages seen, to go back.
  const [pages, setPages] = useState<string[]>([""]);
  const before = pages[pages.length - 1]!;
  const list = useLoad(() => {
    const p = new URLSearchParams({ limit: String(PAGE) });
    for (const [k, v] of Object.entries(filter)) if (v.trim()) p.set(k, v.trim());
    if (before) p.set("before", before);
    return api<{ entries: Entry[]; next?: number | string }>("GET", `audit?${p}`);
  }, [filter, before]);

  const field = (name: keyof Filter, label: string) => (
    <>
      <label for={`audit-${name}`}>{label}</label>
      <input
        id={`audit-${name}`}
        type="text"
        value={form[name]}
        onInput={(e) => setForm({ ...form, [name]: e.currentTarget.value })}
      />
    </>
  );

  return (
    <>
      <VerifyBanner />
      <form
        class="inline"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setPages([""]);
          setFilter(form);
        }}
      >
        {field("kind", "Kind")}
        {field("actor", "Actor")}
        {field("q", "Search")}
        <button type="submit">Search</button>
      </form>
      <ErrorText>{list.error}</ErrorText>
      <TableBox label="Audit entries">
        <table>
          <Head columns={["#", "When", "Kind", "Actor", "Subject", "From", "Details"]} />
          <tbody>
            {list.data?.entries.map((e) => (
              <tr key={e.seq}>
                <th scope="row">{e.seq}</th>
                <td>
                  <When at={e.at} />
                </td>
                <td>{e.kind}</td>
                <td>{e.actor ?? ""}</td>
                <td>{e.subject ?? ""}</td>
                <td>{e.address ?? ""}</td>
                <td class="details">{e.details === undefined ? "" : JSON.stringify(e.details)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      {list.data?.entries.length === 0 && <p>No entries match.</p>}
      <div class="actions">
        {pages.length > 1 && (
          <button type="button" class="secondary" onClick={() => setPages(pages.slice(0, -1))}>
            Newer entries
          </button>
        )}
        {list.data?.next !== undefined && (
          <button
            type="button"
            class="secondary"
            onClick={() => setPages([...pages, String(list.data!.next)])}
          >
            Older entries
          </button>
        )}
      </div>
    </>
  );
}
