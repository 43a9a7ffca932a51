import type { Command } from "commander";
import type { CommandEnv } from "../command_env.ts";
import { registerCheck } from "./check.ts";
import { registerClients } from "./clients.ts";
import { registerInfer } from "./infer.ts";
import { registerInit } from "./init.ts";
import { registerLock } from "./lock.ts";
import { registerProxy } from "./proxy.ts";
import { registerRedact } from "./redact.ts";
import { registerReplay } from "./replay.ts";
import { registerReport } from "./report.ts";
import { registerSandbox } from "./sandbox.ts";
import { registerScan } from "./scan.ts";
import { registerWire } from "./wire.ts";

/** Every command, in the order `--help` lists them (the loop: scan → lock → record → infer → replay → enforce → report). */
export const COMMANDS: ReadonlyArray<(program: Command, env: CommandEnv) => void> = [
  registerScan,
  registerClients,
  registerLock,
  registerWire, // record and enforce
  registerProxy, // proxy and hidden _proxy
  registerInfer,
  registerReplay,
  registerCheck,
  registerRedact,
  registerSandbox,
  registerReport,
  registerInit,
];
