/**
 * A raw newline-JSON-RPC probe: start a stdio MCP server, send initialize, notifications/initialized and
 * tools/list, then stop it (and everything it spawned). No SDK, so a server's exact bytes decide the result.
 *
 * Run as a script: deno run -A tests/sandbox/compat/probe.ts -- <argv...>
 */

/** What a probe saw. */
export interface ProbeResult {
  /** initialize and tools/list both answered without error. */
  ok: boolean;
  /** Tool names from tools/list (all pages). */
  tools: string[];
  /** The last 2,000 characters of the server's stderr. */
  stderrTail: string;
  /** Why it is not ok. */
  error?: string;
  /** `serverInfo` from the initialize result. */
  serverInfo?: { name?: string; version?: string };
  /** stdout lines that were not JSON (a stdio server must not print them). */
  stdoutNoise: string[];
  /** Milliseconds from spawn to the initialize result. */
  initializeMs?: number;
}

/** The protocol version the probe offers. */
export const PROBE_PROTOCOL_VERSION = "2025-06-18";

/**
 * Starts `argv` with exactly `opts.env` (the environment is cleared first), answers nothing but what it
 * must, and kills the server's whole process group afterwards (npx and shells spawn children).
 *
 * @param argv command and arguments
 * @param opts env (complete), cwd, and the overall time limit
 * @returns what the server answered; never throws for a server that fails
 */
export async function probeServer(
  argv: string[],
  opts: { env: Record<string, string>; cwd: string; timeoutMs: number },
): Promise<ProbeResult> {
  const t0 = performance.now();
  let child: Deno.ChildProcess;
  const result: ProbeResult = { ok: false, tools: [], stderrTail: "", stdoutNoise: [] };
  try {
    child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      env: opts.env,
      clearEnv: true,
      cwd: opts.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      // Its own process group, so one kill reaches npx's and sh's children too.
      detached: true,
    }).spawn();
  } catch (e) {
    return { ...result, error: `spawn failed: ${e instanceof Error ? e.message : String(e)}` };
  }

  let stderr = "";
  const waiters = new Map<number, (m: Record<string, unknown>) => void>();
  const writer = child.stdin.getWriter();
  const send = (m: unknown) => writer.write(new TextEncoder().encode(JSON.stringify(m) + "\n"));
  let exited: Deno.CommandStatus | undefined;
  const status = child.status.then((s) => (exited = s));

  const readStdout = (async () => {
    let buf = "";
    const dec = new TextDecoder();
    for await (const chunk of child.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === "") continue;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line);
        } catch {
          if (result.stdoutNoise.length < 20) result.stdoutNoise.push(line.slice(0, 300));
          continue;
        }
        if (typeof msg.method === "string" && "id" in msg) {
          // A server-to-client request (roots/list, sampling...): the probe declared no capabilities.
          await send({ jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "Method not found" } })
            .catch(() => {});
        } else if (typeof msg.id === "number") {
          waiters.get(msg.id)?.(msg);
        }
      }
    }
  })().catch(() => {});
  const readStderr = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) {
      stderr = (stderr + dec.decode(chunk, { stream: true })).slice(-20_000);
    }
  })().catch(() => {});

  const deadline = t0 + opts.timeoutMs;
  const request = async (id: number, method: string, params: unknown): Promise<Record<string, unknown>> => {
    const answer = new Promise<Record<string, unknown>>((res) => waiters.set(id, res));
    await send({ jsonrpc: "2.0", id, method, params });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        answer,
        // Answers already on stdout still count: read it to the end first.
        status.then(() => readStdout).then(() => {
          throw new Error(`server exited (code ${exited?.code}) before answering ${method}`);
        }),
        new Promise<never>((_, rej) => {
          timer = setTimeout(
            () => rej(new Error(`no answer to ${method} within ${opts.timeoutMs} ms`)),
            Math.max(0, deadline - performance.now()),
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    const init = await request(0, "initialize", {
      protocolVersion: PROBE_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: "agentperms-compat-probe", version: "0.0.0" },
    });
    if (init.error) throw new Error(`initialize failed: ${JSON.stringify(init.error)}`);
    result.initializeMs = Math.round(performance.now() - t0);
    result.serverInfo = (init.result as { serverInfo?: ProbeResult["serverInfo"] } | undefined)?.serverInfo;
    await send({ jsonrpc: "2.0", method: "notifications/initialized" });
    let cursor: string | undefined;
    for (let id = 1; id < 50; id++) {
      const r = await request(id, "tools/list", cursor ? { cursor } : {});
      if (r.error) throw new Error(`tools/list failed: ${JSON.stringify(r.error)}`);
      const page = r.result as { tools?: { name: string }[]; nextCursor?: string } | undefined;
      result.tools.push(...(page?.tools ?? []).map((t) => t.name));
      cursor = page?.nextCursor;
      if (!cursor) break;
    }
    result.ok = true;
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  } finally {
    await stop(child, writer, status);
    await Promise.all([readStdout, readStderr]);
  }
  result.stderrTail = stderr.slice(-2000);
  return result;
}

/** EOF on stdin first (the polite way to end a stdio server), then SIGTERM, then SIGKILL, to the group. */
async function stop(
  child: Deno.ChildProcess,
  writer: WritableStreamDefaultWriter<Uint8Array>,
  status: Promise<unknown>,
): Promise<void> {
  await writer.close().catch(() => {});
  const waitFor = async (ms: number) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = await Promise.race([
      status.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
    ]);
    clearTimeout(timer);
    return done;
  };
  const killGroup = (sig: Deno.Signal) => {
    try {
      Deno.kill(-child.pid, sig);
    } catch { /* group already gone */ }
  };
  if (!(await waitFor(1000))) {
    killGroup("SIGTERM");
    if (!(await waitFor(2000))) {
      killGroup("SIGKILL");
      await status;
    }
  }
  // The leader may exit on EOF while children (a browser, a worker) linger in the group.
  killGroup("SIGKILL");
}

if (import.meta.main) {
  const argv = Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;
  const r = await probeServer(argv, { env: Deno.env.toObject(), cwd: Deno.cwd(), timeoutMs: 60_000 });
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(r, null, 2) + "\n"));
}
