// The admin API's route table: one list that the dispatcher, the docs and the tests share, so
// a route cannot exist without being tried by the "every route refuses outsiders" tests.

/** How a route authenticates: the sign-in itself, a console session or token, or a token only. */
export type AdminAuth = "public" | "admin" | "token";

export interface AdminRouteSpec {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** The path with `:param` placeholders; `:jid` takes the rest of the path (a full JID). */
  path: string;
  auth: AdminAuth;
  /** A concrete path and body for tests that try every route (the console's too). */
  example: { path: string; body?: unknown };
}

const r = (
  method: AdminRouteSpec["method"],
  path: string,
  example: AdminRouteSpec["example"] = { path },
  auth: AdminAuth = "admin",
): AdminRouteSpec => ({ method, path, auth, example });

/** Every route of the admin API (docs/admin-api.md), in the order the docs list them. */
export const ADMIN_ROUTES: readonly AdminRouteSpec[] = Object.freeze([
  r("POST", "/admin/api/login", { path: "/admin/api/login" }, "public"),
  r("POST", "/admin/api/logout"),
  r("GET", "/admin/api/session"),
  r("GET", "/admin/api/tokens"),
  r("POST", "/admin/api/tokens", { path: "/admin/api/tokens", body: { name: "probe" } }),
  r("DELETE", "/admin/api/tokens/:id", { path: "/admin/api/tokens/nosuchtoken" }),
  r("GET", "/admin/api/users", { path: "/admin/api/users?limit=10" }),
  r("POST", "/admin/api/users", {
    path: "/admin/api/users",
    body: { address: "probe", password: "probe-password" },
  }),
  r("GET", "/admin/api/users/:name", { path: "/admin/api/users/admin" }),
  r("POST", "/admin/api/users/:name/lock", { path: "/admin/api/users/admin/lock" }),
  r("POST", "/admin/api/users/:name/unlock", { path: "/admin/api/users/admin/unlock" }),
  r("POST", "/admin/api/users/:name/password", {
    path: "/admin/api/users/admin/password",
    body: { password: "new-password" },
  }),
  r("PUT", "/admin/api/users/:name/role", {
    path: "/admin/api/users/admin/role",
    body: { role: "user" },
  }),
  r("PUT", "/admin/api/users/:name/groups", {
    path: "/admin/api/users/admin/groups",
    body: { groups: [] },
  }),
  r("DELETE", "/admin/api/users/:name", { path: "/admin/api/users/admin" }),
  r("GET", "/admin/api/invites"),
  r("POST", "/admin/api/invites", { path: "/admin/api/invites", body: {} }),
  r("DELETE", "/admin/api/invites/:id", { path: "/admin/api/invites/nosuchinvite" }),
  r("GET", "/admin/api/sessions"),
  r("DELETE", "/admin/api/sessions/:jid", {
    path: `/admin/api/sessions/${encodeURIComponent("admin@localhost/desk")}`,
  }),
  r("GET", "/admin/api/policy"),
  r("POST", "/admin/api/policy/check", { path: "/admin/api/policy/check", body: { text: "{}" } }),
  r("PUT", "/admin/api/policy", { path: "/admin/api/policy", body: { text: "{}" } }),
  r("GET", "/admin/api/policy/explain/:name", { path: "/admin/api/policy/explain/admin" }),
  r("GET", "/admin/api/audit", { path: "/admin/api/audit?limit=5" }),
  r("GET", "/admin/api/audit/verify"),
  r("GET", "/admin/api/quarantine"),
  r("DELETE", "/admin/api/quarantine/:id", { path: "/admin/api/quarantine/nosuchfile" }),
  r("GET", "/admin/api/metrics/history"),
  r("GET", "/metrics", { path: "/metrics" }, "token"),
]);

/** Matches a request to a route: the route and its parameters, or why not. */
export function matchRoute(
  method: string,
  path: string,
): { route: AdminRouteSpec; params: Record<string, string> } | { allowed: string[] } | undefined {
  const allowed: string[] = [];
  for (const route of ADMIN_ROUTES) {
    const params = matchPath(route.path, path);
    if (params === undefined) continue;
    if (route.method === method || (method === "HEAD" && route.method === "GET"))
      return { route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : undefined;
}

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const got = path.split("/");
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (w === ":jid") {
      // A full JID's resource may hold slashes: the parameter is the rest of the path.
      const rest = got.slice(i).join("/");
      if (rest === "") return undefined;
      params.jid = rest;
      return params;
    }
    const g = got[i];
    if (g === undefined) return undefined;
    if (w.startsWith(":")) {
      if (g === "") return undefined;
      params[w.slice(1)] = g;
    } else if (w !== g) return undefined;
  }
  return got.length === want.length ? params : undefined;
}
