import type { Command } from "commander";
import type { CommandEnv } from "../command_env.ts";

/** Adds one or more commands (options, help, action) to the program. */
export type RegisterCommand = (program: Command, env: CommandEnv) => void;

/** One row of the command table: the top-level names its module registers and how to load that module. */
export interface CommandEntry {
  /** Every top-level command name (and alias) the module's register function adds. */
  readonly names: readonly string[];
  /** Imports the module and returns its register function. */
  readonly load: () => Promise<RegisterCommand>;
}

// Each command's module is imported only when that command runs (or when the whole table is needed, e.g. for
// --help): the proxy, started by every MCP client for every server, must not pay for report, infer or scan
// code. The specifiers are literals so `deno compile` and `deno bundle` still see and include every module.
/** Every command, in the order `--help` lists them (the loop: scan → lock → record → infer → replay → enforce → report). */
export const COMMANDS: readonly CommandEntry[] = [
  { names: ["scan"], load: async () => (await import("./scan.ts")).registerScan },
  { names: ["clients"], load: async () => (await import("./clients.ts")).registerClients },
  { names: ["doctor"], load: async () => (await import("./doctor.ts")).registerDoctor },
  { names: ["lock"], load: async () => (await import("./lock.ts")).registerLock },
  { names: ["record", "enforce"], load: async () => (await import("./wire.ts")).registerWire },
  { names: ["proxy", "_proxy"], load: async () => (await import("./proxy.ts")).registerProxy },
  { names: ["gateway"], load: async () => (await import("./gateway.ts")).registerGateway },
  { names: ["login"], load: async () => (await import("./login.ts")).registerLogin },
  { names: ["infer"], load: async () => (await import("./infer.ts")).registerInfer },
  { names: ["replay"], load: async () => (await import("./replay.ts")).registerReplay },
  { names: ["check"], load: async () => (await import("./check.ts")).registerCheck },
  { names: ["policy"], load: async () => (await import("./policy.ts")).registerPolicy },
  { names: ["redact"], load: async () => (await import("./redact.ts")).registerRedact },
  { names: ["sandbox"], load: async () => (await import("./sandbox.ts")).registerSandbox },
  { names: ["report"], load: async () => (await import("./report.ts")).registerReport },
  { names: ["init"], load: async () => (await import("./init.ts")).registerInit },
];
