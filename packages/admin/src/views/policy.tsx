// The policy: the document in an editor; Check validates it and shows the errors (line and
// column) or the diff against the policy in force; Apply is offered only for checked text.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api } from "../api.js";
import { attempt, ErrorText, Status, TableBox, useLoad } from "../ui.js";

interface Change {
  path: string;
  before?: unknown;
  after?: unknown;
}
type CheckResult = { ok: true; diff: Change[] } | { ok: false; errors: string[] };

const show = (v: unknown): string => (v === undefined ? "—" : JSON.stringify(v));

/** The policy view. */
export function PolicyView() {
  const current = useLoad(() =>
    api<{ text: string; source: string; path?: string }>("GET", "policy"),
  );
  const [text, setText] = useState<string | undefined>(undefined);
  const [checked, setChecked] = useState<{ text: string; result: CheckResult } | undefined>();
  const [error, setError] = useState("");
  const [status, setStatus] = useState("");

  useEffect(() => {
    if (current.data && text === undefined) setText(current.data.text);
  }, [current.data, text]);

  async function check(): Promise<void> {
    setStatus("");
    const t = text ?? "";
    setError(
      await attempt(async () => {
        const result = await api<CheckResult>("POST", "policy/check", { text: t });
        setChecked({ text: t, result });
        setStatus(result.ok ? "The policy is valid." : "The policy has errors.");
      }),
    );
  }

  async function apply(): Promise<void> {
    const t = text ?? "";
    setError(
      await attempt(async () => {
        try {
          const r = await api<{ ok: true; diff: Change[] }>("PUT", "policy", { text: t });
          setChecked(undefined);
          setStatus(`Applied: ${r.diff.length} change(s) in force.`);
          current.reload();
        } catch (err) {
          const errors = err instanceof ApiError ? err.body.errors : undefined;
          if (Array.isArray(errors))
            setChecked({ text: t, result: { ok: false, errors: errors.map(String) } });
          throw err;
        }
      }),
    );
  }

  const result = checked?.text === text ? checked?.result : undefined;
  return (
    <>
      <ErrorText>{current.error}</ErrorText>
      {current.data && (
        <p>
          Source: {current.data.source}
          {current.data.path ? ` (${current.data.path})` : ""}
        </p>
      )}
      <label for="policy-text">Policy (YAML)</label>
      <textarea
        id="policy-text"
        class="editor"
        rows={18}
        spellcheck={false}
        autocapitalize="off"
        value={text ?? ""}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <div class="actions">
        <button type="button" onClick={check}>
          Check
        </button>
        <button type="button" onClick={apply} disabled={!result?.ok}>
          Apply
        </button>
      </div>
      <Status>{status}</Status>
      <ErrorText>{error}</ErrorText>
      {result && !result.ok && (
        <section aria-labelledby="errors-title">
          <h2 id="errors-title">Errors</h2>
          <ul class="errors">
            {result.errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </section>
      )}
      {result?.ok && (
        <section aria-labelledby="diff-title">
          <h2 id="diff-title">Changes against the policy in force</h2>
          {result.diff.length === 0 ? (
            <p>No change.</p>
          ) : (
            <TableBox label="Changes">
              <table class="diff">
                <thead>
                  <tr>
                    <th scope="col">Setting</th>
                    <th scope="col">Before</th>
                    <th scope="col">After</th>
                  </tr>
                </thead>
                <tbody>
                  {result.diff.map((c) => (
                    <tr key={c.path}>
                      <th scope="row">{c.path}</th>
                      <td>
                        <del>{show(c.before)}</del>
                      </td>
                      <td>
                        <ins>{show(c.after)}</ins>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableBox>
          )}
        </section>
      )}
    </>
  );
}
