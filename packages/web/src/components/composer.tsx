// The message box: Enter sends, Shift+Enter is a newline, Up in an empty box edits the last
// message, Escape cancels editing; chat states (XEP-0085) follow the typing.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { attachFiles } from "../files/attach.js";
import type { ChatStore } from "../state/store.js";

/** After this long without a keystroke, "composing" becomes "paused" (XEP-0085 suggests 30 s; shorter reads better). */
const PAUSE_MS = 5000;

/** Textbox "Message" and button "Send". */
export function Composer({ store, peer }: { store: ChatStore; peer: string }) {
  const [text, setText] = useState("");
  const box = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const typing = useTyping(store, peer);
  const editing = store.editing?.peer === peer ? store.editing : undefined;

  // Entering correction mode loads the message's text into the box. A layout effect runs as
  // the render commits, in the same task as the key or click that began editing: an effect
  // would run after the next paint, and overwrite what the user typed meanwhile (Up, then
  // typing at once: the correction went out with the old text).
  useLayoutEffect(() => {
    if (editing === undefined) return;
    setText(editing.body);
    box.current?.focus();
  }, [editing?.id]);

  function send(): void {
    const body = text.trim();
    if (body === "") return;
    // Encrypted unless the user chose otherwise for this chat; what could not be sent comes
    // back into the box (the notice above says why).
    const restore = () => setText((now) => (now === "" ? body : now));
    if (editing !== undefined) {
      const original = editing;
      store.stopEdit();
      void store.e2ee.correct(peer, original.id, body).then((ok) => {
        if (ok) return;
        store.startEdit(original);
        restore();
      });
    } else {
      void store.e2ee.send(peer, body).then((ok) => ok || restore());
    }
    typing.sent();
    setText("");
  }

  function onKeyDown(e: KeyboardEvent): void {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    } else if (e.key === "ArrowUp" && text === "") {
      const last = store.lastOwn(peer);
      // A shared file is not text to edit, nor a message this device could not decrypt.
      if (
        last !== undefined &&
        last.file === undefined &&
        last.encryptedFile === undefined &&
        last.encryption !== "failed"
      ) {
        e.preventDefault();
        setText(last.body);
        store.startEdit(last);
      }
    } else if (e.key === "Escape" && editing !== undefined) {
      e.preventDefault();
      store.stopEdit();
      setText("");
    }
  }

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      {editing === undefined ? null : (
        <p class="editing" id="editing-note">
          Editing your last message.{" "}
          <button
            type="button"
            onClick={() => {
              store.stopEdit();
              setText("");
            }}
          >
            Cancel edit
          </button>
        </p>
      )}
      <label for="message" class="sr-only">
        Message
      </label>
      <textarea
        id="message"
        ref={box}
        rows={2}
        value={text}
        aria-describedby={editing === undefined ? undefined : "editing-note"}
        placeholder="Write a message"
        title="Enter sends, Shift+Enter starts a new line"
        onInput={(e) => {
          setText(e.currentTarget.value);
          typing.input(e.currentTarget.value);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => typing.pause()}
      />
      <input
        ref={picker}
        type="file"
        multiple
        hidden
        tabIndex={-1}
        aria-hidden="true"
        onChange={(e) => {
          const files = e.currentTarget.files;
          if (files !== null) attachFiles(store, peer, Array.from(files));
          e.currentTarget.value = "";
        }}
      />
      <button
        type="button"
        class="attach"
        title="Share a file (or drop it on the conversation)"
        onClick={() => picker.current?.click()}
      >
        Attach file
      </button>
      <button type="submit">Send</button>
    </form>
  );
}

/** Sends composing / paused / active as the user types, pauses, sends or leaves. */
function useTyping(store: ChatStore, peer: string) {
  const state = useRef<"active" | "composing" | "paused">("active");
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const set = (s: "active" | "composing" | "paused") => {
    if (state.current === s || store.status !== "online") return;
    state.current = s;
    store.client.chatState(peer, s);
  };
  const clear = () => {
    if (timer.current !== undefined) clearTimeout(timer.current);
    timer.current = undefined;
  };
  useEffect(
    () => () => {
      clear();
      if (state.current === "composing") set("paused");
    },
    [peer],
  );
  return {
    input(value: string) {
      clear();
      if (value === "") {
        set("active");
        return;
      }
      set("composing");
      timer.current = setTimeout(() => set("paused"), PAUSE_MS);
    },
    pause() {
      clear();
      if (state.current === "composing") set("paused");
    },
    sent() {
      clear();
      // The message itself carries <active/>; no separate stanza needed.
      state.current = "active";
    },
  };
}
