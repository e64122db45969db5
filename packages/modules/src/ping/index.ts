// XEP-0199: XMPP Ping — the server answers pings addressed to it.
import type { HatoModule } from "@hato/core";
import { NS_PING } from "@hato/xml";

export const ping: HatoModule = {
  name: "ping",
  load(api) {
    api.addFeature(NS_PING);
    api.handleIq("get", "host", NS_PING, "ping", () => undefined);
  },
};
