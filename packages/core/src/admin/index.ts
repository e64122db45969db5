// The admin console's server side: the JSON API under /admin/api/ and /metrics.

export { AdminApi, LOCKED_TEXT } from "./api.js";
export { ENDED_TEXT, PASSWORD_RESET_TEXT } from "./endpoints.js";
export { ADMIN_HEADERS, COOKIE, CSRF_HEADER, MAX_BODY_BYTES } from "./http.js";
export { checkPolicyText, PolicyEditor } from "./policy-change.js";
export {
  type PolicySource,
  policySource,
  readPolicyText,
  withGroups,
  withoutUser,
  withRole,
  writePolicyText,
} from "./policy-file.js";
export { ADMIN_ROUTES, type AdminRouteSpec, matchRoute } from "./routes.js";
export type { LoginLimiterLike, MetricsService } from "./services.js";
export { ApiTokens, type TokenInfo } from "./tokens.js";
