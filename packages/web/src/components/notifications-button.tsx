// "Enable notifications": asks for the Notification permission from a click, as browsers require.
import { useState } from "preact/hooks";
import { askForNotifications, canAskForNotifications } from "../notify.js";

/** A button shown until the user has granted or refused desktop notifications. */
export function NotificationsButton() {
  const [ask, setAsk] = useState(canAskForNotifications);
  if (!ask) return null;
  return (
    <button
      type="button"
      onClick={async () => {
        await askForNotifications();
        setAsk(canAskForNotifications());
      }}
    >
      Enable notifications
    </button>
  );
}
