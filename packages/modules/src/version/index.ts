// XEP-0092: Software Version — name and version of the server (policy may hide it later).
import type { HatoModule } from "@hato/core";
import { NS_VERSION, xml } from "@hato/xml";

export const HATO_VERSION = "0.1.0";

export const version: HatoModule = {
  name: "version",
  load(api) {
    api.addFeature(NS_VERSION);
    api.handleIq("get", "host", NS_VERSION, "query", () =>
      xml(
        "query",
        { xmlns: NS_VERSION },
        xml("name", null, "Hato"),
        xml("version", null, HATO_VERSION),
      ),
    );
  },
};
