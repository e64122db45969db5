// Just enough JID handling (RFC 7622) for a client: bare forms and comparison.

/** The bare JID (local@domain or domain), lower-cased in the local and domain parts. */
export function bare(jid: string): string {
  const slash = jid.indexOf("/");
  return (slash < 0 ? jid : jid.slice(0, slash)).toLowerCase();
}

/** The resource part, or undefined. */
export function resourceOf(jid: string): string | undefined {
  const slash = jid.indexOf("/");
  return slash < 0 ? undefined : jid.slice(slash + 1);
}

/** The domain part. */
export function domainOf(jid: string): string {
  const b = bare(jid);
  const at = b.indexOf("@");
  return at < 0 ? b : b.slice(at + 1);
}

/** The local part ("" for a domain JID). */
export function localOf(jid: string): string {
  const slash = jid.indexOf("/");
  const b = slash < 0 ? jid : jid.slice(0, slash);
  const at = b.indexOf("@");
  return at < 0 ? "" : b.slice(0, at);
}
