// The settings table: every setting Hato has, declared once with its path in hato.yaml, its
// type, limits, default and documentation. config.ts validates against it, derives the flags
// from it and writes docs/configuration.md from it.

export type SettingType =
  | { kind: "int"; min: number; max: number }
  | { kind: "string"; pattern?: RegExp; describe?: string }
  | { kind: "path" }
  | { kind: "bool" }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "components" }
  | { kind: "list"; pattern: RegExp; describe: string; max: number };

export interface Setting {
  path: string;
  type: SettingType;
  default: unknown;
  doc: string;
}

const KiB = 1024;
const MiB = 1024 * 1024;

/** Every setting Hato has. Paths are dotted; flags are `--` plus the path with dots as dashes. */
export const SETTINGS: readonly Setting[] = [
  {
    path: "domain",
    type: { kind: "string", pattern: /^[^\s@/]{1,253}$/, describe: "a domain name" },
    default: "localhost",
    doc: "The XMPP domain this server hosts.",
  },
  {
    path: "data",
    type: { kind: "path" },
    default: "./data",
    doc: "Folder for the database, generated certificate, server secret and admin socket.",
  },
  {
    path: "host",
    type: { kind: "string" },
    default: "::",
    doc: "Address the listeners bind to (`::` is every address, `127.0.0.1` loopback only).",
  },
  {
    path: "c2s-port",
    type: { kind: "int", min: 0, max: 65535 },
    default: 5222,
    doc: "Client port with STARTTLS (RFC 6120); 0 turns it off.",
  },
  {
    path: "tls-port",
    type: { kind: "int", min: 0, max: 65535 },
    default: 5223,
    doc: "Direct-TLS client port (XEP-0368, ALPN `xmpp-client`); 0 turns it off.",
  },
  {
    path: "component-port",
    type: { kind: "int", min: 0, max: 65535 },
    default: 0,
    doc: "External component port (XEP-0114, plaintext by design); 0 turns it off.",
  },
  {
    path: "component-host",
    type: { kind: "string" },
    default: "127.0.0.1",
    doc: "Address the component port binds to. Components authenticate with a shared secret over plaintext: keep this on loopback or a private network.",
  },
  {
    path: "components",
    type: { kind: "components" },
    default: [],
    doc: "External components allowed to connect: in hato.yaml a list of `{ domain, secret }`; as a flag `DOMAIN=SECRET`, comma-separated or repeated (a flag shows the secret to other local users; prefer the file). Each domain must differ from `domain`.",
  },
  {
    path: "tls.cert",
    type: { kind: "path" },
    default: "",
    doc: "PEM certificate chain; empty means a self-signed one generated in the data folder.",
  },
  { path: "tls.key", type: { kind: "path" }, default: "", doc: "PEM private key for `tls.cert`." },
  {
    path: "web.root",
    type: { kind: "path" },
    default: "",
    doc: "Folder of the web client served at `/` on the TLS port; empty means the built Hato web client (`@hato/web`'s `dist`) when it is installed.",
  },
  {
    path: "web.admin-root",
    type: { kind: "path" },
    default: "",
    doc: "Folder of the admin console served at `/admin/` on the TLS port; empty means the built Hato admin console (`@hato/admin`'s `dist`) when it is installed.",
  },
  {
    path: "http.public-host",
    type: {
      kind: "string",
      pattern:
        /^$|^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?::\d{1,5})?$|^\[[0-9a-f:.]+\](?::\d{1,5})?$/i,
      describe: "a host name or [IPv6 address], with an optional :port",
    },
    default: "",
    doc: "Host (and port) that the host-meta files (XEP-0156) advertise in `wss://HOST/xmpp-websocket`; empty means the request's own Host header.",
  },
  {
    path: "http.allowed-origins",
    type: {
      kind: "list",
      pattern: /^https?:\/\/[^\s/?#]{1,261}$/,
      describe: "origins such as https://chat.example.org",
      max: 100,
    },
    default: [],
    doc: "Extra web origins allowed to open XMPP WebSockets (the server's own `https://HOST` always is); in hato.yaml a list, as a flag comma-separated.",
  },
  {
    path: "http.max-header-bytes",
    type: { kind: "int", min: 1 * KiB, max: 64 * KiB },
    default: 16 * KiB,
    doc: "Bytes of one HTTP request's start line and headers; more gets 431.",
  },
  {
    path: "http.max-body-bytes",
    type: { kind: "int", min: 0, max: 1024 * MiB },
    default: 64 * KiB,
    doc: "Bytes of one HTTP request body (routes that take none refuse any); more gets 413.",
  },
  {
    path: "http.requests-per-minute",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 600,
    doc: "HTTP requests (WebSocket upgrades included) from one IP address per minute; more get 429 with Retry-After.",
  },
  {
    path: "http.connections-per-address",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 32,
    doc: "Open HTTPS connections (not yet WebSocket streams) from one IP address; more are closed at once.",
  },
  {
    path: "http.header-seconds",
    type: { kind: "int", min: 1, max: 600 },
    default: 10,
    doc: "Time to receive a request's headers; slower requests get 408.",
  },
  {
    path: "http.idle-seconds",
    type: { kind: "int", min: 1, max: 3600 },
    default: 30,
    doc: "Time an idle keep-alive HTTPS connection stays open.",
  },
  {
    path: "websocket.ping-seconds",
    type: { kind: "int", min: 0, max: 3600 },
    default: 60,
    doc: "Interval of WebSocket pings on XMPP WebSocket streams (RFC 7395 has no whitespace keepalive); a connection that has not answered the previous ping is dropped. 0 turns pings off.",
  },
  {
    path: "log.level",
    type: { kind: "enum", values: ["debug", "info", "warn", "error"] },
    default: "info",
    doc: "Least severe log level written to standard error.",
  },
  {
    path: "limits.stanza-bytes",
    type: { kind: "int", min: 4 * KiB, max: 16 * MiB },
    default: 256 * KiB,
    doc: "Largest stanza accepted, in bytes, counted as it arrives.",
  },
  {
    path: "limits.depth",
    type: { kind: "int", min: 4, max: 256 },
    default: 32,
    doc: "Deepest element nesting inside a stanza.",
  },
  {
    path: "limits.attributes",
    type: { kind: "int", min: 4, max: 1024 },
    default: 64,
    doc: "Most attributes on one element.",
  },
  {
    path: "limits.children",
    type: { kind: "int", min: 16, max: 65536 },
    default: 1024,
    doc: "Most child nodes of one element.",
  },
  {
    path: "limits.outbound-queue-bytes",
    type: { kind: "int", min: 64 * KiB, max: 256 * MiB },
    default: 2 * MiB,
    doc: "Bytes waiting to be sent to one client before it is disconnected as not reading.",
  },
  {
    path: "limits.tls-handshake-seconds",
    type: { kind: "int", min: 1, max: 600 },
    default: 10,
    doc: "Time allowed for a TLS handshake.",
  },
  {
    path: "limits.auth-seconds",
    type: { kind: "int", min: 1, max: 3600 },
    default: 30,
    doc: "Time from connecting to a bound resource.",
  },
  {
    path: "limits.unauthenticated-per-address",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 16,
    doc: "Connections from one IP address that have not yet authenticated. Raise it only for load tests on loopback.",
  },
  {
    path: "limits.auth-failures-per-address",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 10,
    doc: "Failed logins from one IP address per minute before further attempts get `temporary-auth-failure`.",
  },
  {
    path: "limits.auth-failures-per-account",
    type: { kind: "int", min: 1, max: 1000 },
    default: 5,
    doc: "Failed logins for one account name per minute before further attempts get `temporary-auth-failure`.",
  },
  {
    path: "limits.sessions-per-account",
    type: { kind: "int", min: 1, max: 1000 },
    default: 16,
    doc: "Simultaneous sessions of one account.",
  },
  {
    path: "offline.max-messages",
    type: { kind: "int", min: 0, max: 1000000 },
    default: 1000,
    doc: "Messages stored for one offline account (XEP-0160); 0 turns offline storage off.",
  },
  {
    path: "offline.max-bytes",
    type: { kind: "int", min: 0, max: 1024 * MiB },
    default: 10 * MiB,
    doc: "Bytes stored for one offline account.",
  },
  {
    path: "push.max-registrations",
    type: { kind: "int", min: 1, max: 100 },
    default: 8,
    doc: "Push services (XEP-0357 jid and node pairs) one account may enable.",
  },
  {
    path: "push.notifications-per-minute",
    type: { kind: "int", min: 1, max: 600 },
    default: 10,
    doc: "Push notifications sent for one account per minute; messages beyond it are only counted.",
  },
  {
    path: "push.include-body",
    type: { kind: "bool" },
    default: false,
    doc: "Put the message body in push notifications. Off: the push service is a third party.",
  },
  {
    path: "blocking.max-items",
    type: { kind: "int", min: 1, max: 100000 },
    default: 1000,
    doc: "JIDs one account may block (XEP-0191).",
  },
  {
    path: "blocking.items-per-request",
    type: { kind: "int", min: 1, max: 10000 },
    default: 250,
    doc: "JIDs in one block or unblock request.",
  },
  {
    path: "vcard.max-bytes",
    type: { kind: "int", min: 1 * KiB, max: 16 * MiB },
    default: 64 * KiB,
    doc: "Largest vCard (XEP-0054) an account may store, in bytes of XML; a photo makes vCards big.",
  },
  {
    path: "private.max-items",
    type: { kind: "int", min: 1, max: 100000 },
    default: 100,
    doc: "Private XML elements (XEP-0049) one account may store.",
  },
  {
    path: "private.max-bytes",
    type: { kind: "int", min: 1 * KiB, max: 64 * MiB },
    default: 1 * MiB,
    doc: "Bytes of private XML (XEP-0049) one account may store in all.",
  },
  {
    path: "files.peer-to-peer",
    type: { kind: "bool" },
    default: false,
    doc: "Lets clients negotiate direct file transfers (Jingle file transfer, XEP-0096 stream initiation, `jabber:iq:oob`, SOCKS5 and in-band bytestreams). Off by default: such files bypass the upload service's scanning, so the server refuses those negotiations with `policy-violation`.",
  },
  {
    path: "files.handoff-max-bytes",
    type: { kind: "int", min: 1, max: 4096 * MiB },
    default: 64 * MiB,
    doc: "Largest end-to-end encrypted file (XEP-0454) the scanner hand-off (`POST /scan/encrypted`) decrypts; it holds the file and its plaintext in memory. Also never more than `upload.max-file-bytes`. Larger ones get 413 and stay not scanned.",
  },
  {
    path: "files.handoff-per-minute",
    type: { kind: "int", min: 1, max: 100000 },
    default: 10,
    doc: "Scanner hand-offs (`POST /scan/encrypted`) one user may ask for per minute; more get 429.",
  },
  {
    path: "files.handoff-token-seconds",
    type: { kind: "int", min: 10, max: 86400 },
    default: 600,
    doc: "How long a scanner hand-off token (asked for over XMPP with `<token xmlns='urn:hato:scan:0'/>`) stays valid.",
  },
  {
    path: "register.enabled",
    type: { kind: "bool" },
    default: false,
    doc: "In-band registration (XEP-0077): lets anyone who reaches the server create an account, change its password and delete it.",
  },
  {
    path: "register.per-address-per-hour",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 5,
    doc: "Registration attempts (well-formed requests, whether the name was free or not) from one IP address per hour; as many invalid invite tokens again.",
  },
  {
    path: "register.password-min-length",
    type: { kind: "int", min: 1, max: 1024 },
    default: 8,
    doc: "Shortest password in-band registration and password change accept, in characters.",
  },
  {
    path: "register.password-max-length",
    type: { kind: "int", min: 8, max: 4096 },
    default: 1024,
    doc: "Longest password in-band registration and password change accept, in characters.",
  },
  {
    path: "register.invite-hours",
    type: { kind: "int", min: 1, max: 8760 },
    default: 168,
    doc: "How long an invite link (`hato invite create`, XEP-0401/XEP-0445) stays valid unless `--expires-hours` says otherwise.",
  },
  {
    path: "roster.max-items",
    type: { kind: "int", min: 1, max: 100000 },
    default: 1000,
    doc: "Contacts in one roster (RFC 6121 §2); a roster set beyond it gets `not-allowed`.",
  },
  {
    path: "roster.max-name-length",
    type: { kind: "int", min: 1, max: 65536 },
    default: 1024,
    doc: "Characters in a roster item's name; longer names get `not-acceptable`.",
  },
  {
    path: "roster.max-group-length",
    type: { kind: "int", min: 1, max: 65536 },
    default: 1024,
    doc: "Characters in one roster group name; longer ones get `not-acceptable`.",
  },
  {
    path: "roster.max-groups",
    type: { kind: "int", min: 1, max: 10000 },
    default: 64,
    doc: "Groups of one roster item; more get `not-allowed`.",
  },
  {
    path: "presence.max-pending-requests",
    type: { kind: "int", min: 1, max: 100000 },
    default: 200,
    doc: "Subscription requests waiting for one user's answer (RFC 6121 §3.1.3); further senders get `resource-constraint`.",
  },
  {
    path: "presence.subscribe-per-minute",
    type: { kind: "int", min: 1, max: 100000 },
    default: 60,
    doc: "Subscription requests one user may send per minute; more get `policy-violation`.",
  },
  {
    path: "presence.max-directed",
    type: { kind: "int", min: 1, max: 100000 },
    default: 1000,
    doc: "Entities one session may send directed presence to (RFC 6121 §4.6); more get `resource-constraint`.",
  },
  {
    path: "sm.resume-seconds",
    type: { kind: "int", min: 0, max: 86400 },
    default: 300,
    doc: "How long a session whose connection died waits for its client to resume it (XEP-0198); 0 turns resumption off.",
  },
  {
    path: "sm.max-queue",
    type: { kind: "int", min: 5, max: 100000 },
    default: 500,
    doc: "Stanzas sent to one session and not yet acknowledged (XEP-0198); more closes the session with `policy-violation`.",
  },
  {
    path: "sm.ack-seconds",
    type: { kind: "int", min: 1, max: 3600 },
    default: 60,
    doc: "Time a client has to answer an acknowledgement request before its connection counts as dead (the session then hibernates or ends).",
  },
  {
    path: "csi.max-held",
    type: { kind: "int", min: 1, max: 10000 },
    default: 100,
    doc: "Stanzas held back for one inactive client (XEP-0352) before they are all sent anyway.",
  },
  {
    path: "sessions.ask-client-version",
    type: { kind: "bool" },
    default: true,
    doc: "Ask every new session which client software it runs (XEP-0092), for the audit log and the admin console; the server asks anyway where the policy's `clients.allowed` applies.",
  },
  {
    path: "sessions.client-identity-seconds",
    type: { kind: "int", min: 1, max: 600 },
    default: 15,
    doc: "How long a new session has to say which client it is; where `clients.allowed` applies, a client that has not said by then is disconnected with `policy-violation`.",
  },
  {
    path: "sessions.max-held",
    type: { kind: "int", min: 1, max: 10000 },
    default: 100,
    doc: "Stanzas held for a session whose client identity is not known yet (`clients.allowed`); more ends the stream with `policy-violation`.",
  },
  {
    path: "scram.iterations",
    type: { kind: "int", min: 4096, max: 1000000 },
    default: 10000,
    doc: "PBKDF2 iterations for newly stored passwords.",
  },
  {
    path: "mam.max-page",
    type: { kind: "int", min: 1, max: 10000 },
    default: 250,
    doc: "Most messages in one page of a message archive query (XEP-0313); a bigger RSM `max` is lowered to it, and it is the page size when a query gives none.",
  },
  {
    path: "mam.default",
    type: { kind: "enum", values: ["always", "roster", "never"] },
    default: "always",
    doc: "Which messages are archived for users who set no preference: all, those with roster contacts, or none.",
  },
  {
    path: "mam.prefs-max-jids",
    type: { kind: "int", min: 0, max: 100000 },
    default: 1000,
    doc: "Most JIDs in one user's always/never archiving lists together.",
  },
  {
    path: "mam.retention-days",
    type: { kind: "int", min: 0, max: 36500 },
    default: 0,
    doc: "Archived and offline messages older than this many days are deleted, for users whose policy sets no `archive.retention-days` (see `retention.interval-minutes`); 0 keeps them forever.",
  },
  {
    path: "pep.max-item-bytes",
    type: { kind: "int", min: 1 * KiB, max: 16 * MiB },
    default: 64 * KiB,
    doc: "Largest PEP item payload (XEP-0163), in bytes of serialised XML; larger ones get `not-acceptable` with `payload-too-big`.",
  },
  {
    path: "pep.max-nodes",
    type: { kind: "int", min: 1, max: 100000 },
    default: 256,
    doc: "PEP nodes one account may have.",
  },
  {
    path: "pep.max-items",
    type: { kind: "int", min: 1, max: 100000 },
    default: 1000,
    doc: "Most items one PEP node keeps; `max_items` of `max` means this many.",
  },
  {
    path: "pep.max-id-length",
    type: { kind: "int", min: 16, max: 3072 },
    default: 1024,
    doc: "Longest PEP node name or item id, in characters.",
  },
  {
    path: "pep.max-affiliations",
    type: { kind: "int", min: 1, max: 100000 },
    default: 1000,
    doc: "Most affiliations (whitelisted members) one PEP node holds.",
  },
  {
    path: "pep.publishes-per-minute",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 300,
    doc: "PEP publications, retractions and node changes one account may make per minute.",
  },
  {
    path: "pep.watched-per-session",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 5000,
    doc: "Accounts whose PEP events one session can follow through presence it sent them; the oldest are forgotten beyond this.",
  },
  {
    path: "keylog.new-keys-per-day",
    type: { kind: "int", min: 1, max: 10000 },
    default: 20,
    doc: "New OMEMO device keys one account may publish (and so add to the key transparency log, docs/key-transparency.md) per 24 hours; beyond it a bundle publication is refused with `policy-violation`.",
  },
  {
    path: "keylog.leaves-per-answer",
    type: { kind: "int", min: 1, max: 1000 },
    default: 64,
    doc: "Most leaves (an address's newest device keys, each with its inclusion proof) one `urn:hato:keylog:0` answer carries.",
  },
  {
    path: "caps.cache-size",
    type: { kind: "int", min: 16, max: 1000000 },
    default: 4096,
    doc: "Verified entity capabilities (XEP-0115) kept in memory; least recently used go first.",
  },
  {
    path: "caps.queries-per-session",
    type: { kind: "int", min: 1, max: 64 },
    default: 2,
    doc: "disco#info queries for unknown capabilities in flight to one session at once.",
  },
  {
    path: "upload.enabled",
    type: { kind: "bool" },
    default: true,
    doc: "HTTP File Upload (XEP-0363) on the TLS port under `/upload/`: every file is scanned before anyone can download it.",
  },
  {
    path: "upload.max-file-bytes",
    type: { kind: "int", min: 1, max: 64 * 1024 * MiB },
    default: 100 * MiB,
    doc: "Largest file one upload may carry; bigger slot requests get `file-too-large` with this limit.",
  },
  {
    path: "upload.quota-user-bytes",
    type: { kind: "int", min: 0, max: Number.MAX_SAFE_INTEGER },
    default: 1024 * MiB,
    doc: "Bytes one user's uploads may take together (files kept, quarantined, and slots not yet used); more get `resource-constraint`.",
  },
  {
    path: "upload.quota-total-bytes",
    type: { kind: "int", min: 0, max: Number.MAX_SAFE_INTEGER },
    default: 20 * 1024 * MiB,
    doc: "Bytes everyone's uploads may take together on this server.",
  },
  {
    path: "upload.slot-seconds",
    type: { kind: "int", min: 5, max: 86400 },
    default: 300,
    doc: "How long a slot's PUT URL stays valid; an unused slot then expires and its quota is freed.",
  },
  {
    path: "upload.expire-days",
    type: { kind: "int", min: 0, max: 36500 },
    default: 30,
    doc: "Uploaded files older than this many days are deleted with their metadata (checked at start and hourly); 0 keeps them forever.",
  },
  {
    path: "upload.allowed-types",
    type: {
      kind: "list",
      pattern: /^[a-z0-9][a-z0-9!#$&^_.+-]*\/(?:\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$/,
      describe: "media types such as image/png or image/*",
      max: 1000,
    },
    default: [],
    doc: "Media types users may upload (`type/*` matches a whole family); empty allows every type not blocked. A slot request without a type counts as `application/octet-stream`.",
  },
  {
    path: "upload.blocked-types",
    type: {
      kind: "list",
      pattern: /^[a-z0-9][a-z0-9!#$&^_.+-]*\/(?:\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$/,
      describe: "media types such as application/x-msdownload",
      max: 1000,
    },
    default: [
      "application/x-msdownload",
      "application/x-dosexec",
      "application/vnd.microsoft.portable-executable",
      "application/x-executable",
      "application/x-sh",
      "application/x-msi",
    ],
    doc: "Media types nobody may upload, whatever `upload.allowed-types` says.",
  },
  {
    path: "upload.slots-per-minute",
    type: { kind: "int", min: 1, max: 100000 },
    default: 30,
    doc: "Upload slots one user may request per minute; more get `resource-constraint` (wait).",
  },
  {
    path: "upload.min-bytes-per-second",
    type: { kind: "int", min: 0, max: 1024 * MiB },
    default: 1024,
    doc: "Slowest average rate of an upload after `upload.grace-seconds` (against slowloris); slower uploads get 408 and nothing is kept. 0 turns the check off.",
  },
  {
    path: "upload.grace-seconds",
    type: { kind: "int", min: 1, max: 3600 },
    default: 10,
    doc: "Time an upload may take before `upload.min-bytes-per-second` applies.",
  },
  {
    path: "upload.put-seconds",
    type: { kind: "int", min: 1, max: 86400 },
    default: 3600,
    doc: "Longest time one upload (PUT) may take in all; slower ones get 408 and nothing is kept.",
  },
  {
    path: "scan.engine",
    type: { kind: "enum", values: ["builtin", "clamd"] },
    default: "builtin",
    doc: "Engine that scans uploaded files before anyone can download them: `builtin` (programs, scripts, double extensions, the EICAR test file, a hash deny-list, archives within limits; no virus signatures) or `clamd` (ClamAV's daemon, the production choice; see docs/scanning.md).",
  },
  {
    path: "scan.clamd-address",
    type: {
      kind: "string",
      pattern: /^tcp:\/\/[^\s/]{1,261}:\d{1,5}$|^\/\S{1,1000}$/,
      describe: "tcp://HOST:PORT or an absolute unix socket path",
    },
    default: "tcp://127.0.0.1:3310",
    doc: "Where clamd listens (`scan.engine: clamd`): `tcp://HOST:PORT` (an IPv6 host in brackets) or the absolute path of its unix socket.",
  },
  {
    path: "scan.timeout-seconds",
    type: { kind: "int", min: 1, max: 3600 },
    default: 120,
    doc: "Time one scan may take (connecting to clamd included); a scan that takes longer gives no verdict, and the upload is refused as with a scanner that is down.",
  },
  {
    path: "scan.deny-list",
    type: { kind: "path" },
    default: "",
    doc: "File of SHA-256 digests (hex, one a line, `sha256sum` output works) the built-in engine refuses, in archives too; read at start. Empty: only the EICAR test file's digest.",
  },
  {
    path: "scan.archive-max-entries",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 10000,
    doc: "Files in all archives of one upload together (built-in engine); more and the upload is refused as not scannable.",
  },
  {
    path: "scan.archive-max-depth",
    type: { kind: "int", min: 1, max: 32 },
    default: 5,
    doc: "Archives inside archives the built-in engine opens (1: the upload's own archive only); deeper nesting is refused as not scannable.",
  },
  {
    path: "scan.archive-max-ratio",
    type: { kind: "int", min: 2, max: 100000 },
    default: 100,
    doc: "Expanded size over compressed size of one archive member above 1 MiB (built-in engine); a higher ratio is refused as a zip bomb.",
  },
  {
    path: "scan.archive-max-expanded-bytes",
    type: { kind: "int", min: 1 * MiB, max: 64 * 1024 * MiB },
    default: 1024 * MiB,
    doc: "Bytes expanded from all archives of one upload together (built-in engine); more is refused as not scannable.",
  },
  {
    path: "scan.when-down",
    type: { kind: "enum", values: ["refuse", "accept"] },
    default: "refuse",
    doc: "What an upload gets when the scanner cannot give a verdict: `refuse` (503, nothing kept: fail closed) or `accept` (the file is kept, marked not scanned, and served with the header `Hato-Scan: not-scanned`).",
  },
  {
    path: "audit.sign-every-entries",
    type: { kind: "int", min: 1, max: 1000000 },
    default: 100,
    doc: "The audit log's head is signed (Ed25519, key `audit-key.pem` in the data folder) after this many new entries, every `audit.sign-every-seconds` and at shutdown; `hato audit verify` then detects a cut-off tail.",
  },
  {
    path: "audit.sign-every-seconds",
    type: { kind: "int", min: 1, max: 86400 },
    default: 60,
    doc: "Longest time a new audit entry stays without a signed head.",
  },
  {
    path: "retention.interval-minutes",
    type: { kind: "int", min: 1, max: 10080 },
    default: 60,
    doc: "How often old messages and files are deleted by the retention rules (`archive.retention-days`, `files.retention-days` of the policy, `mam.retention-days`); also at start and after each policy change. Deleted content is overwritten in the database file (SQLite secure delete and a WAL checkpoint).",
  },
  {
    path: "metrics.enabled",
    type: { kind: "bool" },
    default: true,
    doc: "Count connections, stanzas, denials, verdicts and delivery latency for Prometheus (`GET /metrics`, docs/metrics.md) and the admin console's charts. Off, the stanza path counts nothing.",
  },
  {
    path: "metrics.history-interval-seconds",
    type: { kind: "int", min: 1, max: 3600 },
    default: 10,
    doc: "How often the admin console's metrics history takes a point.",
  },
  {
    path: "metrics.history-points",
    type: { kind: "int", min: 1, max: 100000 },
    default: 360,
    doc: "Points the metrics history keeps (the oldest is dropped): with the default interval, one hour.",
  },
  {
    path: "admin.idle-minutes",
    type: { kind: "int", min: 1, max: 1440 },
    default: 15,
    doc: "An admin console session ends after this many minutes without a request (sign in again).",
  },
  {
    path: "admin.session-hours",
    type: { kind: "int", min: 1, max: 168 },
    default: 8,
    doc: "An admin console session ends this many hours after its sign-in, however active.",
  },
  {
    path: "admin.max-sessions",
    type: { kind: "int", min: 1, max: 10000 },
    default: 100,
    doc: "Most admin console sessions at once (all admins together); a sign-in beyond it ends the oldest.",
  },
];
