// XEP-0060 §8.2 node configuration and §7.1.5 publish-options as XEP-0004 data forms.
import { StanzaError } from "@hato/core";
import { type Element, xml } from "@hato/xml";
import { PubsubError } from "./errors.js";
import { NS_DATA, NS_NODE_CONFIG } from "./ns.js";

/** Stored node configuration: short field names (`access_model`) plus `members`. */
export type NodeConfig = Record<string, string | string[]>;

export interface FormLimits {
  maxItems: number;
  maxIdLength: number;
  maxAffiliations: number;
}

type FieldType = "boolean" | "list-single" | "list-multi" | "text-single";
interface Field {
  type: FieldType;
  label: string;
  options?: readonly string[];
}

/** The fields Hato's PEP nodes support; anything else in a form is refused by name. */
const FIELDS: Record<string, Field> = {
  access_model: {
    type: "list-single",
    label: "Who may retrieve items",
    options: ["open", "presence", "roster", "whitelist"],
  },
  max_items: { type: "text-single", label: "Most items to keep (a number or max)" },
  persist_items: { type: "boolean", label: "Keep items" },
  send_last_published_item: {
    type: "list-single",
    label: "When to send the last published item",
    options: ["never", "on_sub", "on_sub_and_presence"],
  },
  notify_retract: { type: "boolean", label: "Notify when items are retracted" },
  notify_delete: { type: "boolean", label: "Notify when the node is deleted" },
  publish_model: { type: "list-single", label: "Who may publish", options: ["publishers"] },
  deliver_payloads: { type: "boolean", label: "Deliver payloads with notifications" },
  deliver_notifications: { type: "boolean", label: "Deliver event notifications" },
  roster_groups_allowed: { type: "list-multi", label: "Roster groups allowed (roster model)" },
  title: { type: "text-single", label: "A name for the node" },
};
/** Values that can only be true here (payloads and notifications are always delivered). */
const ONLY_TRUE = new Set(["deliver_payloads", "deliver_notifications"]);

/** The configuration of a node created without options (XEP-0163 §4.1 defaults). */
export function defaultConfig(): NodeConfig {
  return {
    access_model: "presence",
    max_items: "1",
    persist_items: "true",
    send_last_published_item: "on_sub_and_presence",
    notify_retract: "true",
    notify_delete: "true",
    publish_model: "publishers",
    deliver_payloads: "true",
    deliver_notifications: "true",
  };
}

/** Reads a submitted form's fields; checks its FORM_TYPE when it has one. */
export function readForm(x: Element, formType: string): Map<string, string[]> {
  const type = x.attr("type");
  if (type !== "submit")
    throw new StanzaError("bad-request", "the data form must be of type submit");
  const out = new Map<string, string[]>();
  for (const f of x.getChildren("field", NS_DATA)) {
    const name = f.attr("var");
    if (name === undefined) throw new StanzaError("bad-request", "a form field has no var");
    const values = f.getChildren("value", NS_DATA).map((v) => v.text());
    if (name === "FORM_TYPE") {
      if (values[0] !== formType)
        throw new StanzaError("bad-request", `the form's FORM_TYPE must be ${formType}`);
      continue;
    }
    out.set(name, values);
  }
  return out;
}

const bool = (v: string | undefined) =>
  v === "1" || v === "true" ? "true" : v === "0" || v === "false" ? "false" : undefined;

/**
 * Normalises one submitted field to its stored value; throws not-acceptable with the reason
 * when the field is unknown or its value is not allowed.
 */
function normalise(name: string, values: string[], limits: FormLimits): string | string[] {
  const key = name.startsWith("pubsub#") ? name.slice(7) : undefined;
  const field = key === undefined ? undefined : FIELDS[key];
  const refuse = (why: string) => new StanzaError("not-acceptable", `${name}: ${why}`);
  if (key === undefined || field === undefined) throw refuse("this option is not supported");
  if (field.type === "list-multi") {
    if (values.length > limits.maxAffiliations) {
      throw refuse(`at most ${limits.maxAffiliations} values`);
    }
    for (const v of values) if (v.length > limits.maxIdLength) throw refuse("a value is too long");
    return [...new Set(values)];
  }
  if (values.length !== 1) throw refuse("exactly one value is needed");
  const v = values[0]!.trim();
  switch (field.type) {
    case "boolean": {
      const b = bool(v);
      if (b === undefined) throw refuse("expected true or false");
      if (ONLY_TRUE.has(key) && b !== "true") throw refuse("only true is supported");
      return b;
    }
    case "list-single":
      if (!field.options!.includes(v)) throw refuse(`expected one of ${field.options!.join(", ")}`);
      return v;
    case "text-single":
      if (key === "max_items") {
        if (v === "max") return v;
        if (!/^\d{1,9}$/.test(v) || Number(v) < 1)
          throw refuse("expected a positive number or max");
        if (Number(v) > limits.maxItems) throw refuse(`at most ${limits.maxItems} items per node`);
        return String(Number(v));
      }
      if (v.length > limits.maxIdLength) throw refuse("the value is too long");
      return v;
  }
  return v;
}

/** A copy of `config` with the submitted fields applied (node configuration, §8.2.5). */
export function applyForm(
  config: NodeConfig,
  fields: Map<string, string[]>,
  limits: FormLimits,
): NodeConfig {
  const out: NodeConfig = { ...config };
  for (const [name, values] of fields) out[name.slice(7)] = normalise(name, values, limits);
  return out;
}

/**
 * Checks publish-options as preconditions (§7.1.5): throws conflict + precondition-not-met,
 * naming the first option that differs from the node's configuration.
 */
export function checkPreconditions(
  config: NodeConfig,
  fields: Map<string, string[]>,
  limits: FormLimits,
): void {
  for (const [name, values] of fields) {
    let wanted: string | string[];
    try {
      wanted = normalise(name, values, limits);
    } catch (err) {
      throw new PubsubError("conflict", "precondition-not-met", (err as StanzaError).message);
    }
    const have = config[name.slice(7)] ?? defaultConfig()[name.slice(7)];
    const same = Array.isArray(wanted)
      ? Array.isArray(have) && [...have].sort().join("\n") === [...wanted].sort().join("\n")
      : have === wanted;
    if (!same) {
      throw new PubsubError(
        "conflict",
        "precondition-not-met",
        `the node's ${name} is ${JSON.stringify(have ?? "")}, not ${JSON.stringify(wanted)}; reconfigure the node first`,
      );
    }
  }
}

/** The node configuration form (§8.2.1) filled with the node's values. */
export function configForm(config: NodeConfig, type: "form" | "result" = "form"): Element {
  const x = xml(
    "x",
    { xmlns: NS_DATA, type },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", null, NS_NODE_CONFIG)),
  );
  const defaults = defaultConfig();
  for (const [key, field] of Object.entries(FIELDS)) {
    const value = config[key] ?? defaults[key];
    const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
    x.append(
      xml(
        "field",
        { var: `pubsub#${key}`, type: field.type, label: field.label },
        ...(field.options ?? []).map((o) => xml("option", null, xml("value", null, o))),
        ...values.map((v) => xml("value", null, v === "true" ? "1" : v === "false" ? "0" : v)),
      ),
    );
  }
  return x;
}

/** The item cap of a node: its max_items, `max` meaning the server's limit. */
export function maxItemsOf(config: NodeConfig, cap: number): number {
  const m = config.max_items;
  if (m === "max" || typeof m !== "string") return m === "max" ? cap : 1;
  return Math.min(cap, Number(m) || 1);
}

/** A stored boolean option, with its default when unset. */
export function flag(config: NodeConfig, key: string): boolean {
  return (config[key] ?? defaultConfig()[key]) === "true";
}
