/**
 * One worker of `check`'s pool (see `_check_pool.ts`): compiles the policy the main thread parsed, then
 * judges the batches of lines it is sent with the same {@link checkLines} as a run in one thread.
 * @module
 */
import { hostRealpath } from "../../canonical/mod.ts";
import { loadShellParser } from "../../canonical/read_shell.ts";
import { compilePolicy, type Policy } from "../../policy/mod.ts";
import type { ServerProfileDescriptor } from "../../profiles/mod.ts";
import {
  batchLines,
  callJudge,
  type CheckFormat,
  checkLines,
  noCounts,
  rememberDecisions,
} from "./_check_calls.ts";
import { checkRealpath } from "./_check_fs_cache.ts";

/** The first message: what to judge with. */
export interface CheckWorkerInit {
  kind: "init";
  /** The policy as parsed and validated by the main thread (plain data). */
  policy: Policy;
  /** Format 2: the server profiles the main thread loaded (plain data). */
  profiles?: ServerProfileDescriptor[];
  /** The policy file's directory (relative policy paths resolve against it). */
  baseDir: string;
  home: string;
  /** Where relative paths in calls resolve. */
  cwd: string;
  format: CheckFormat;
}

/** Every later message: lines to judge. */
export interface CheckWorkerBatch {
  kind: "batch";
  seq: number;
  firstLine: number;
  /**
   * Whole lines of the file as UTF-8, joined by their newlines (the last newline cut off): read as
   * `readLines` reads them (`\r\n` ends a line too; the file's byte order mark, in the first batch, is dropped).
   */
  bytes: Uint8Array;
}

/** What the worker answers. */
export type CheckWorkerReply =
  | { kind: "ready" }
  | { kind: "failed"; message: string }
  | { kind: "done"; seq: number; out: string; counts: ReturnType<typeof noCounts> };

interface WorkerScope {
  onmessage: ((e: MessageEvent<CheckWorkerInit | CheckWorkerBatch>) => void) | null;
  postMessage(m: CheckWorkerReply): void;
}

const scope = self as unknown as WorkerScope;
let judge: ((value: unknown) => import("../../decision/mod.ts").Decision) | undefined;
let format: CheckFormat = "jsonl";

scope.onmessage = (e) => {
  const m = e.data;
  if (m.kind === "init") {
    try {
      const compiled = compilePolicy(m.policy, {
        baseDir: m.baseDir,
        home: m.home,
        realpath: hostRealpath,
        profiles: m.profiles,
      });
      judge = rememberDecisions(callJudge(compiled, { cwd: m.cwd, home: m.home, realpath: checkRealpath() }));
      format = m.format;
      // Ready once the shell parser is loaded (one that cannot load leaves shell commands unreadable: denied).
      void loadShellParser().catch(() => {}).then(() => scope.postMessage({ kind: "ready" }));
    } catch (err) {
      scope.postMessage({ kind: "failed", message: (err as Error).message });
    }
    return;
  }
  if (!judge) {
    scope.postMessage({ kind: "failed", message: "batch before init" });
    return;
  }
  const counts = noCounts();
  const out = checkLines(judge, batchLines(m.bytes, m.firstLine === 1), {
    firstLine: m.firstLine,
    format,
    counts,
  });
  scope.postMessage({ kind: "done", seq: m.seq, out, counts });
};
