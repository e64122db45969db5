export { DEFAULT_RULES, Policy, type Role, type Rules, type UserPolicy } from "./compile.js";
export { explain } from "./explain.js";
export { formatPolicyError, type PolicyError, parsePolicy } from "./parse.js";
export { POLICY_LIMITS } from "./schema.js";
export {
  type CheckResult,
  checkPolicyFile,
  dataPolicyFile,
  loadPolicy,
  PolicyStore,
  type ReloadResult,
} from "./store.js";
export { type SummaryLine, summary } from "./summary.js";
