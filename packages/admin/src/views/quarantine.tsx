// Quarantined files: what the scanner refused, whose, why; an admin may delete one for good.
import { useState } from "preact/hooks";
import { api, seg } from "../api.js";
import { attempt, Confirm, ErrorText, Head, Status, TableBox, useLoad, When } from "../ui.js";

interface QuarantinedFile {
  id: string;
  owner: string;
  name: string;
  size: number;
  sha256: string;
  verdict: string;
  reason: string;
  at: string;
}

/** The quarantine view. */
export function QuarantineView() {
  const list = useLoad(() => api<{ files: QuarantinedFile[] }>("GET", "quarantine"));
  const [doomed, setDoomed] = useState<QuarantinedFile | undefined>(undefined);
  const [error, setError] = useState("");
  const [status, setStatus] = useState("");
  const files = list.data?.files ?? [];
  return (
    <>
      <ErrorText>{list.error || error}</ErrorText>
      <Status>{status || (list.data ? `${files.length} file(s) in quarantine.` : "")}</Status>
      <TableBox label="Quarantined files">
        <table>
          <Head columns={["File", "Owner", "Size", "Verdict", "When", "SHA-256"]} actions />
          <tbody>
            {files.map((f) => (
              <tr key={f.id}>
                <th scope="row">{f.name}</th>
                <td>{f.owner}</td>
                <td>{f.size} bytes</td>
                <td>
                  {f.verdict}: {f.reason}
                </td>
                <td>
                  <When at={f.at} />
                </td>
                <td class="hash">{f.sha256}</td>
                <td>
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Delete ${f.name}`}
                    onClick={() => setDoomed(f)}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      {doomed && (
        <Confirm
          title={`Delete ${doomed.name}?`}
          action="Delete file"
          onCancel={() => setDoomed(undefined)}
          onConfirm={async () => {
            const f = doomed;
            setDoomed(undefined);
            const err = await attempt(() => api("DELETE", `quarantine/${seg(f.id)}`));
            setError(err);
            setStatus(err ? "" : `Deleted ${f.name}.`);
            list.reload();
          }}
        >
          <p>
            The quarantined file {doomed.name} of {doomed.owner} is removed for good.
          </p>
        </Confirm>
      )}
    </>
  );
}
