/** What starting a server and sending it `initialize` showed. */
export interface InitializeProbe {
  /** `answered`: a result; `error`: a JSON-RPC error; `exited`: it ended first; `timeout`; `spawn-failed`. */
  outcome: "answered" | "error" | "exited" | "timeout" | "spawn-failed";
  /** The server's name and version from the result (`answered`). */
  serverInfo?: { name?: string; version?: string };
  /** The JSON-RPC error (`error`). */
  error?: { code?: number; message: string };
  /** The exit code when it ended before answering (`exited`). */
  exitCode?: number;
  /** Why it could not be started (`spawn-failed`). */
  detail?: string;
  /** The last lines of its stderr (at most 10). */
  stderrTail: string[];
  /** How long the answer took, in milliseconds. */
  ms: number;
}

/** What to start and how long to wait. */
export interface ProbeInitializeOptions {
  /** Program. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** The whole environment the process gets (nothing else is inherited). */
  env: Record<string, string>;
  /** Working directory. */
  cwd: string;
  /** Budget for the answer. */
  timeoutMs: number;
  /** `clientInfo.version` in the request. */
  clientVersion: string;
}

const STDERR_KEEP_BYTES = 8192;
const GRACE_MS = 2000;

/**
 * Starts a server the way an MCP client does (stdio, the given environment only), sends `initialize` and
 * waits for its answer, an error, its exit or the timeout; then closes its stdin and stops it.
 * @param opts command, env, cwd and timeout
 * @returns what happened, with the tail of its stderr
 */
export async function probeInitialize(opts: ProbeInitializeOptions): Promise<InitializeProbe> {
  const started = Date.now();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(opts.command, {
      args: opts.args,
      env: opts.env,
      clearEnv: true,
      cwd: opts.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    return { outcome: "spawn-failed", detail: (e as Error).message, stderrTail: [], ms: 0 };
  }
  let stderr = "";
  const stderrDone = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) {
      stderr = (stderr + dec.decode(chunk, { stream: true })).slice(-STDERR_KEEP_BYTES);
    }
  })().catch(() => {});
  const writer = child.stdin.getWriter();
  const request = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "agentperms-doctor", version: opts.clientVersion },
    },
  };
  await writer.write(new TextEncoder().encode(JSON.stringify(request) + "\n")).catch(() => {});

  type Answer = { kind: "message"; msg: Record<string, unknown> } | { kind: "eof" } | { kind: "timeout" };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Answer>((
    r,
  ) => (timer = setTimeout(() => r({ kind: "timeout" }), opts.timeoutMs)));
  const reader = child.stdout.getReader();
  const answer = (async (): Promise<Answer> => {
    const dec = new TextDecoder();
    let buf = "";
    while (true) {
      const { value, done } = await reader.read();
      if (done) return { kind: "eof" };
      buf += dec.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        try {
          const msg = JSON.parse(line);
          if (msg && typeof msg === "object" && msg.id === 1) return { kind: "message", msg };
        } catch {
          // not JSON-RPC (a server that logs to stdout): keep reading
        }
      }
    }
  })().catch((): Answer => ({ kind: "eof" }));
  const got = await Promise.race([answer, timeout]);
  clearTimeout(timer);
  const ms = Date.now() - started;

  // Stop it the way a client does: close stdin, give it a moment, then signals. Its stdout is no longer read.
  await reader.cancel().catch(() => {});
  await writer.close().catch(() => {});
  let exit: Deno.CommandStatus | undefined;
  const waitExit = (ms: number) =>
    Promise.race([child.status, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))])
      .finally(() => clearTimeout(timer));
  exit = await waitExit(got.kind === "timeout" ? 0 : GRACE_MS);
  if (!exit) {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    exit = await waitExit(GRACE_MS);
    if (!exit) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      exit = await child.status;
    }
  }
  await stderrDone;
  const stderrTail = stderr.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "").slice(-10);
  if (got.kind === "timeout") return { outcome: "timeout", stderrTail, ms };
  if (got.kind === "eof") return { outcome: "exited", exitCode: exit.code, stderrTail, ms };
  const { msg } = got;
  if (msg.error && typeof msg.error === "object") {
    const e = msg.error as { code?: unknown; message?: unknown };
    return {
      outcome: "error",
      error: {
        code: typeof e.code === "number" ? e.code : undefined,
        message: typeof e.message === "string" ? e.message : JSON.stringify(msg.error),
      },
      stderrTail,
      ms,
    };
  }
  const info = (msg.result as { serverInfo?: { name?: unknown; version?: unknown } } | undefined)?.serverInfo;
  return {
    outcome: "answered",
    serverInfo: {
      name: typeof info?.name === "string" ? info.name : undefined,
      version: typeof info?.version === "string" ? info.version : undefined,
    },
    stderrTail,
    ms,
  };
}
