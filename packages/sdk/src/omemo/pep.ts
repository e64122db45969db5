// OMEMO's PEP nodes (XEP-0384 0.3.0 over XEP-0163): reading device lists and bundles, and
// publishing to item "current" with publish-options access_model=open.

import { type Element, xml } from "@hato/xml";
import {
  NS_DATA,
  NS_OMEMO,
  NS_OMEMO_BUNDLES,
  NS_OMEMO_DEVICELIST,
  NS_PUBSUB,
  NS_PUBSUB_PUBLISH_OPTIONS,
} from "../ns.js";
import { parseDeviceList } from "./keys.js";

/** An IQ round trip (to undefined = our own account). */
export type PepRequest = (
  type: "get" | "set",
  to: string | undefined,
  payload: Element,
) => Promise<Element>;

/** The newest item's payload of `node` at `jid`. */
async function lastItem(
  request: PepRequest,
  self: string,
  jid: string,
  node: string,
): Promise<Element | undefined> {
  const res = await request(
    "get",
    jid === self ? undefined : jid,
    xml("pubsub", { xmlns: NS_PUBSUB }, xml("items", { node })),
  );
  const item = res
    .getChild("pubsub", NS_PUBSUB)
    ?.getChild("items", NS_PUBSUB)
    ?.getChildren("item", NS_PUBSUB)
    .at(-1);
  return item?.elements()[0];
}

/** `jid`'s device ids; undefined when the node cannot be read (none yet, or unreachable). */
export async function fetchDeviceList(
  request: PepRequest,
  self: string,
  jid: string,
): Promise<number[] | undefined> {
  try {
    const list = await lastItem(request, self, jid, NS_OMEMO_DEVICELIST);
    return parseDeviceList(list?.name === "list" && list.xmlns === NS_OMEMO ? list : undefined);
  } catch {
    return undefined;
  }
}

/** The <bundle/> of `jid`'s `device`, if published. */
export async function fetchBundle(
  request: PepRequest,
  self: string,
  jid: string,
  device: number,
): Promise<Element | undefined> {
  const b = await lastItem(request, self, jid, `${NS_OMEMO_BUNDLES}:${device}`);
  return b?.name === "bundle" && b.xmlns === NS_OMEMO ? b : undefined;
}

/** Publishes to item "current" with access_model=open (§4.3: anyone may build a session). */
export function publishCurrent(
  request: PepRequest,
  node: string,
  payload: Element,
): Promise<Element> {
  return publishOpen(request, node, "current", payload);
}

/**
 * Publishes `payload` as item `id` of `node` with publish-options access_model=open, plus
 * `options` (further pubsub#… fields: OMEMO 2 keeps every bundle item with max_items=max).
 */
export function publishOpen(
  request: PepRequest,
  node: string,
  id: string,
  payload: Element,
  options: Record<string, string> = {},
): Promise<Element> {
  const field = (name: string, value: string) =>
    xml("field", { var: name }, xml("value", null, value));
  return request(
    "set",
    undefined,
    xml(
      "pubsub",
      { xmlns: NS_PUBSUB },
      xml("publish", { node }, xml("item", { id }, payload)),
      xml(
        "publish-options",
        null,
        xml(
          "x",
          { xmlns: NS_DATA, type: "submit" },
          xml(
            "field",
            { var: "FORM_TYPE", type: "hidden" },
            xml("value", null, NS_PUBSUB_PUBLISH_OPTIONS),
          ),
          field("pubsub#access_model", "open"),
          ...Object.entries(options).map(([k, v]) => field(k, v)),
        ),
      ),
    ),
  );
}
