/**
 * Containment: run each MCP server under Deno permissions derived from the policy, optionally with
 * AgentPerms as the permission broker (strict mode).
 *
 * Trace events this module produces (`kind: "containment"`, see `src/trace/schema.ts`):
 * - `source: "audit"`: an OS-level access the server made (record mode, from `DENO_AUDIT_PERMISSIONS`);
 *   fields `permission` (read|write|net|env|sys|ffi), `value` (path, `host:port` or URL, env name; null when
 *   unspecified), `count` (how often), `maybeWrite` (a write logged together with a read under `--allow-all`:
 *   not proof of a write), `granted` (contained server: whether Deno's flags allowed it; the audit logs
 *   attempts, so `false` is not a need).
 * - `source: "broker"`: one broker answer; `permission`, `value`, `resolved` (realpath when it differs) and
 *   `decision` (from `decide()` on method `deno/permission`).
 * - Runtime denials in tool results are recorded by the proxy on the call event as `result.containment`
 *   (`detectContainmentDenial`); `source: "runtime"` is reserved for denials seen outside a call.
 * `infer` can build a `sandbox` block from them: read/write folders from `value`s, `net` from hosts, `env` names.
 * @module
 */
export {
  defaultDenoDir,
  type FlagReason,
  type LaunchPlan,
  planLaunch,
  type PlanLaunchOptions,
} from "./plan_launch.ts";
export { type Broker, type BrokerCheck, startBroker, type StartBrokerOptions } from "./start_broker.ts";
export {
  BROKER_DENIAL_REGEXP,
  BROKER_EXIT_CODE,
  DENO_DENIAL_REGEXP,
  describeContainmentExit,
  detectContainmentDenial,
  OS_DENIAL_REGEXP,
  parseContainmentDenial,
} from "./detect_containment_denial.ts";
export { findDeno, type FindDenoHost, type FindDenoIo } from "./find_deno.ts";
export {
  type AuditEntry,
  auditToTraceEvents,
  brokerCheckToTraceEvent,
  type ContainmentEventBase,
  flagsGrant,
  parseAuditLog,
  readAuditFile,
} from "./audit_log.ts";
export { permissionCall } from "./permission_call.ts";
export {
  launcherName,
  lockVersionsFromLaunches,
  parseServerCommand,
  type ServerEntry,
  splitPackageSpec,
} from "./parse_server_command.ts";
export { DENO_RUNTIME_ENV, denoRuntimeEnv } from "./deno_runtime_env.ts";
export {
  deriveProfile,
  type DeriveProfileOptions,
  type ProfileEntry,
  profileGrants,
  type SandboxProfile,
  SECRET_PLACES,
} from "./sandbox_profile.ts";
export {
  findOnPath,
  REAL_RUNTIME_HOST,
  type RuntimeHost,
  type RuntimeNeeds,
  runtimeNeeds,
} from "./runtime_needs.ts";
export {
  EGRESS_PORT,
  type Mount,
  type OsLaunchOptions,
  type OsLaunchPlan,
  planOsLaunch,
} from "./os_launch.ts";
export { checkOsSandbox, type OsSandboxSupport } from "./check_os_sandbox.ts";
export { type OsContainment, type OsContainmentOptions, startOsContainment } from "./os_containment.ts";
export { describeStartFailure, type StartFailure } from "./describe_start_failure.ts";
export { type EgressEvent, type EgressProxy, startEgressProxy } from "./egress_proxy.ts";
