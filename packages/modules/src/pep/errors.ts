// XEP-0060 §7-8 error replies: a stanza condition plus a pubsub#errors application condition.
import { type StanzaCondition, StanzaError } from "@hato/core";
import { type Element, xml } from "@hato/xml";
import { NS_PUBSUB_ERRORS } from "./ns.js";

/** A StanzaError that also carries a pubsub-specific condition (e.g. `<precondition-not-met/>`). */
export class PubsubError extends StanzaError {
  constructor(
    condition: StanzaCondition,
    readonly app: string | undefined,
    text: string,
    readonly feature?: string,
  ) {
    super(condition, text);
  }

  override toElement(by?: string): Element {
    const el = super.toElement(by);
    if (this.app !== undefined) {
      el.append(xml(this.app, { xmlns: NS_PUBSUB_ERRORS, feature: this.feature }));
    }
    return el;
  }
}

/** `feature-not-implemented` + `<unsupported feature=.../>` (XEP-0060 §4.6). */
export const unsupported = (feature: string, text: string) =>
  new PubsubError("feature-not-implemented", "unsupported", text, feature);
