import { hostRealpath } from "../canonical/mod.ts";
import { decide, type Decision, type PermissionGrants } from "../decision/mod.ts";
import { AgentPermsError } from "../errors.ts";
import type { CompiledPolicy } from "../policy/mod.ts";
import { permissionCall } from "./permission_call.ts";
import { deriveProfile, profileGrants } from "./sandbox_profile.ts";
import { parseJsonStrict } from "../json/mod.ts";

/** One permission check the broker answered (for the trace: `kind: "containment"`, `source: "broker"`). */
export interface BrokerCheck {
  /** Time Deno stamped on the request (RFC 3339, second resolution). */
  datetime: string;
  /** The server process id. */
  pid: number;
  /** Deno's request id. */
  id: number;
  /** read, write, net, env, run, sys, ffi or import. */
  permission: string;
  /** What was asked for; null when Deno did not say (run, env listing). */
  value: string | null;
  /** The realpath of a read/write value when it differs (a symlink). */
  resolved?: string;
  /** The verdict from `decide()`. */
  decision: Decision;
}

/** Options for {@link startBroker}. */
export interface StartBrokerOptions {
  /** Unix socket path to serve (`LaunchPlan.brokerSocket`). */
  socketPath: string;
  /** The compiled policy. */
  policy: CompiledPolicy;
  /** The server's policy name. */
  server: string;
  /** Home for `~`. */
  home: string;
  /** The server's cwd (relative values resolve here). */
  cwd: string;
  /** Called after each answer. Keep it cheap: Deno waits for every reply. */
  onCheck: (ev: BrokerCheck) => void;
  /** The grants from `planLaunch` (recommended, so flags and broker agree); derived from the policy when absent. */
  grants?: PermissionGrants;
  /** Realpath used on values; default the host's. */
  realpath?: (p: string) => string | undefined;
}

/** A running broker. */
export interface Broker {
  /** Stops listening, drops connections (the server then exits 87) and removes the socket. */
  close(): Promise<void>;
}

/**
 * Serves Deno's permission broker protocol (`DENO_PERMISSION_BROKER_PATH`, DENO_NOTES §2.2) for one
 * server: every check (`{"v":1,"pid","id","datetime","permission","value"}` per line) is canonicalized
 * (realpath-resolved, so a pre-existing symlink cannot bypass it), judged by `decide()` and answered
 * `{"id","result":"allow"|"deny","reason"?}`. Deno ignores flags while a broker is set and fails closed:
 * no broker at start, or a broker that dies, makes the server exit with code 87.
 *
 * @param opts socket path, policy, server, paths and the `onCheck` callback
 * @returns a handle to close the broker
 * @throws {AgentPermsError} `io_failed` when the socket cannot be created
 */
export async function startBroker(opts: StartBrokerOptions): Promise<Broker> {
  if (new TextEncoder().encode(opts.socketPath).length > 100) {
    throw new AgentPermsError(
      "io_failed",
      `Broker socket path "${opts.socketPath}" is too long for a Unix socket`,
      {
        hint: "Use a shorter trace directory (Unix socket paths are limited to about 100 bytes)",
      },
    );
  }
  try {
    await Deno.remove(opts.socketPath);
  } catch { /* no stale socket */ }
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ transport: "unix", path: opts.socketPath });
  } catch (e) {
    throw new AgentPermsError(
      "io_failed",
      `Cannot serve the permission broker at "${opts.socketPath}": ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  // Without the launch's grants, the same profile the launchers apply (Deno flags' reading of it).
  const grants = opts.grants ??
    profileGrants(deriveProfile(opts.policy, opts.server, {
      mode: "enforce",
      home: opts.home,
      cwd: opts.cwd,
      unrestrictedRead: "roots",
    }));
  const ctx = { permissions: grants };
  const resolveOpts = { cwd: opts.cwd, home: opts.home, realpath: opts.realpath ?? hostRealpath };
  const conns = new Set<Deno.Conn>();
  const enc = new TextEncoder();

  const answer = (line: string): string => {
    const parsed = parseJsonStrict(line);
    const req = (parsed.ok ? parsed.value : undefined) as
      | { id?: unknown; pid?: unknown; datetime?: unknown; permission?: unknown; value?: unknown }
      | null
      | undefined;
    if (req === null || typeof req !== "object") {
      // Deno only sends JSON lines; if one is garbled, still answer (deny) so the server does not hang.
      const id = /"id"\s*:\s*(\d+)/.exec(line)?.[1];
      return id === undefined
        ? ""
        : `{"id":${id},"result":"deny","reason":"AgentPerms containment: malformed permission request"}\n`;
    }
    const id = typeof req.id === "number" ? req.id : 0;
    const permission = typeof req.permission === "string" ? req.permission : "unknown";
    const value = typeof req.value === "string" ? req.value : null;
    const call = permissionCall(opts.server, { permission, value }, resolveOpts);
    const decision = decide(opts.policy, call, ctx);
    const forms = call.paths[0]?.forms;
    const resolved = forms && forms.length > 1 ? forms[forms.length - 1] : undefined;
    try {
      opts.onCheck({
        datetime: typeof req.datetime === "string" ? req.datetime : "",
        pid: typeof req.pid === "number" ? req.pid : 0,
        id,
        permission,
        value,
        resolved,
        decision,
      });
    } catch { /* a failing logger must not change the answer */ }
    return decision.verdict === "allow" ? `{"id":${id},"result":"allow"}\n` : JSON.stringify({
      id,
      result: "deny",
      reason: `AgentPerms containment: ${decision.reason} [${decision.ruleIds.join(", ")}]`,
    }) + "\n";
  };

  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    const dec = new TextDecoder();
    const buf = new Uint8Array(64 * 1024);
    let pending = "";
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        pending += dec.decode(buf.subarray(0, n), { stream: true });
        let nl: number;
        let out = "";
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (line.trim() !== "") out += answer(line);
        }
        if (out !== "") await writeAll(conn, enc.encode(out));
      }
    } catch {
      /* the server went away */
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) void serve(conn);
    } catch { /* listener closed */ }
  })();

  return {
    async close() {
      try {
        listener.close();
      } catch { /* already closed */ }
      for (const c of conns) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
      await accepting;
      try {
        await Deno.remove(opts.socketPath);
      } catch { /* already gone */ }
    },
  };
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}
