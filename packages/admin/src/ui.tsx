// Small pieces every view uses: loading JSON with its error state, status and error lines, a
// confirmation dialog, a copy button, dates.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { describe } from "./api.js";

export interface Loaded<T> {
  data: T | undefined;
  error: string;
  reload: () => void;
}

/** Runs `load` now and on `reload()`; keeps the last data while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError("");
      },
      (err: unknown) => live && setError(describe(err)),
    );
    return () => {
      live = false;
    };
  }, [tick, ...deps]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

/** Runs an action, returning its error as text (empty when it worked). */
export async function attempt(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
    return "";
  } catch (err) {
    return describe(err);
  }
}

/** An error line read out at once; nothing when empty. */
export function ErrorText({ children }: { children: string }) {
  return (
    <p role="alert" class="error">
      {children}
    </p>
  );
}

/** A status line (polite live region); nothing shown when empty. */
export function Status({ children }: { children: ComponentChildren }) {
  return (
    <p role="status" class="note">
      {children}
    </p>
  );
}

/** A date as the admin's browser writes it, with the exact time as a machine-readable value. */
export function When({ at }: { at: string | number | undefined }) {
  if (at === undefined || at === "") return <span>—</span>;
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return <span>{String(at)}</span>;
  return <time dateTime={d.toISOString()}>{d.toLocaleString()}</time>;
}

/** A modal confirmation (native <dialog>: focus trapped, Escape cancels). */
export function Confirm(props: {
  title: string;
  children: ComponentChildren;
  action: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onClose={props.onCancel}>
      <h2 id="confirm-title">{props.title}</h2>
      {props.children}
      <div class="actions">
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.action}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

/** A secret or link shown once, in a read-only field with a copy button. */
export function CopyField({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState("");
  const id = `copy-${label.replace(/\W+/g, "-").toLowerCase()}`;
  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("Copied.");
    } catch {
      setCopied("Copying was refused: select the text and copy it.");
    }
  }
  return (
    <div class="copy">
      <label for={id}>{label}</label>
      <div class="row">
        <input id={id} readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <Status>{copied}</Status>
    </div>
  );
}

/** A wide table that scrolls sideways on a phone, reachable by keyboard. */
export function TableBox({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be focusable
    <section class="table-box" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}

/** A table's column headers; `actions` adds a last column of buttons, named for screen readers. */
export function Head({ columns, actions }: { columns: readonly string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th key={c} scope="col">
            {c}
          </th>
        ))}
        {actions && (
          <th scope="col">
            <span class="sr-only">Actions</span>
          </th>
        )}
      </tr>
    </thead>
  );
}
