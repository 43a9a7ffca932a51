// @ts-types="@modelcontextprotocol/sdk/types"
import type { Prompt, Resource, ResourceTemplate, Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { AgentPermsError } from "../errors.ts";
import { DENO_RUNTIME_ENV } from "../sandbox/mod.ts";

/** How to start one stdio MCP server (a client config entry, already unwrapped). */
export interface ServerLaunch {
  /** Executable, run without a shell. */
  command: string;
  /** Arguments. */
  args: string[];
  /** The entry's own environment variables. */
  env?: Record<string, string>;
  /** Working directory; the server's, not ours. */
  cwd?: string;
}

/** Options for {@link listServer}. */
export interface ListServerOptions {
  /** Overall budget for start, handshake and every page; default 60000 ms. */
  timeoutMs?: number;
  /** Where PATH, HOME and DENO_DIR are taken from (usually `io.envAll()`); default: none. */
  inheritEnv?: Record<string, string>;
}

/** What a server said about itself: identity and every page of tools, prompts and resources. */
export interface ServerListing {
  /** `serverInfo` from the initialize result. */
  serverInfo?: { name: string; version: string };
  /** `instructions` from the initialize result. */
  instructions?: string;
  /** The negotiated protocol version. */
  protocolVersion?: string;
  /** Every tool, all pages, exactly as sent (no SDK normalization, so hashes match what a proxy sees). */
  tools: Tool[];
  /** Every prompt, when the server offers prompts. */
  prompts?: Prompt[];
  /** Every resource, when the server offers resources. */
  resources?: Resource[];
  /** Every resource template, when the server offers resources and answers `resources/templates/list`. */
  resourceTemplates?: ResourceTemplate[];
}

// Loose on purpose: the SDK's own result schemas strip unknown keys (e.g. inside
// annotations), which would make the lock hash something other than what the server sent.
const NamedItem = z.looseObject({ name: z.string() });
type ListKey = "tools" | "prompts" | "resources" | "resourceTemplates";
const PageSchema = (key: ListKey) =>
  z.looseObject({ nextCursor: z.string().optional(), [key]: z.array(NamedItem) });
const METHOD_NOT_FOUND = -32601;

/** Environment variables carried over from our own environment; everything else comes from the entry. */
const INHERITED = DENO_RUNTIME_ENV;
const MAX_PAGES = 1000;
const STDERR_TAIL = 2000;

/**
 * Starts one stdio MCP server, performs the handshake, lists every page of tools (and prompts and
 * resources when the server advertises them), then kills it. Never hangs: one overall timeout
 * covers everything, and the child is killed on every path out.
 *
 * @example
 * ```ts ignore
 * const listing = await listServer(
 *   { command: Deno.execPath(), args: ["run", "--no-config", "server.ts"] },
 *   { timeoutMs: 10_000, inheritEnv: Deno.env.toObject() },
 * );
 * const toolNames = listing.tools.map((t) => t.name);
 * ```
 * @param entry the launch command, the entry's env and cwd
 * @param opts timeout and the environment that DENO_RUNTIME_ENV (PATH, HOME, DENO_DIR, TLS and proxy settings) is inherited from
 * @returns the server's identity and full listings
 * @throws {AgentPermsError} upstream_failed when the server cannot start, errors, pages forever or
 *   times out; the message ends with the tail of its stderr
 */
export async function listServer(entry: ServerLaunch, opts: ListServerOptions = {}): Promise<ServerListing> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  // Lazy: loading the SDK costs ~100 ms and needs env access, which commands that never list pay nothing for.
  const [{ Client }, { StdioClientTransport }] = await Promise.all([
    import("@modelcontextprotocol/sdk/client/index.js"),
    import("@modelcontextprotocol/sdk/client/stdio.js"),
  ]);
  const env: Record<string, string> = { RUST_BACKTRACE: "0" };
  for (const k of INHERITED) {
    const v = opts.inheritEnv?.[k];
    if (v !== undefined) env[k] = v;
  }
  Object.assign(env, entry.env ?? {});
  const transport = new StdioClientTransport({
    command: entry.command,
    args: entry.args,
    env,
    cwd: entry.cwd,
    stderr: "pipe",
  });
  let stderrTail = "";
  transport.stderr?.on("data", (chunk: Uint8Array | string) => {
    stderrTail = (stderrTail + (typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk)))
      .slice(-STDERR_TAIL);
  });
  let protocolVersion: string | undefined;
  // The stdio transport has no setProtocolVersion; Client calls it when present, which is the
  // only public place the negotiated version shows up.
  (transport as unknown as { setProtocolVersion(v: string): void }).setProtocolVersion = (v) => {
    protocolVersion = v;
  };
  const client = new Client({ name: "agentperms-lock", version: "1" }, { capabilities: {} });
  let closedEarly = false;
  const exitInfo = () => (closedEarly ? " (the server exited)" : "");
  const deadline = Date.now() + timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutSignal()),
      timeoutMs,
    );
  });
  const work = async (): Promise<ServerListing> => {
    await client.connect(transport, { timeout: remaining() });
    // Chain, not replace: the Client's own onclose is what fails pending requests at once.
    const clientOnClose = transport.onclose;
    transport.onclose = () => {
      closedEarly = true;
      clientOnClose?.();
    };
    const caps = client.getServerCapabilities() ?? {};
    const listAll = async (method: string, key: ListKey) => {
      const out: Record<string, unknown>[] = [];
      const seen = new Set<string>();
      let cursor: string | undefined;
      for (let page = 0;; page++) {
        if (page >= MAX_PAGES) throw new Error(`${method} returned more than ${MAX_PAGES} pages`);
        const res = await client.request(
          { method, params: cursor === undefined ? {} : { cursor } },
          PageSchema(key),
          { timeout: remaining() },
        );
        out.push(...(res[key] as Record<string, unknown>[]));
        if (res.nextCursor === undefined) return out;
        // A repeated cursor would loop until the timeout; fail fast with the real reason.
        if (seen.has(res.nextCursor)) throw new Error(`${method} repeated the cursor "${res.nextCursor}"`);
        seen.add(res.nextCursor);
        cursor = res.nextCursor;
      }
    };
    const tools = caps.tools ? await listAll("tools/list", "tools") : [];
    const prompts = caps.prompts ? await listAll("prompts/list", "prompts") : undefined;
    const resources = caps.resources ? await listAll("resources/list", "resources") : undefined;
    // Templates are optional even for servers with resources; "method not found" means none.
    const resourceTemplates = caps.resources
      ? await listAll("resources/templates/list", "resourceTemplates").catch((e) => {
        if ((e as { code?: number })?.code === METHOD_NOT_FOUND) return undefined;
        throw e;
      })
      : undefined;
    const sv = client.getServerVersion();
    return {
      serverInfo: sv ? { name: sv.name, version: sv.version } : undefined,
      instructions: client.getInstructions(),
      protocolVersion,
      tools: tools as unknown as Tool[],
      ...(prompts ? { prompts: prompts as unknown as Prompt[] } : {}),
      ...(resources ? { resources: resources as unknown as Resource[] } : {}),
      ...(resourceTemplates ? { resourceTemplates: resourceTemplates as unknown as ResourceTemplate[] } : {}),
    };
  };
  const what = `"${[entry.command, ...entry.args].join(" ")}"`;
  try {
    const working = work();
    // After a timeout the handshake may still reject; that rejection is already reported.
    working.catch(() => {});
    return await Promise.race([working, timeout]);
  } catch (e) {
    const tail = stderrTail.trim();
    const stderrPart = tail ? `\nserver stderr (last lines):\n${lastLines(tail, 10)}` : "";
    if (e instanceof TimeoutSignal) {
      throw new AgentPermsError(
        "upstream_failed",
        `Server ${what} did not answer within ${timeoutMs} ms${exitInfo()}${stderrPart}`,
        { hint: "Raise --timeout if the server is just slow to start (first runs may download packages)" },
      );
    }
    const msg = e instanceof Error ? e.message : String(e);
    const notFound = (e as { code?: string })?.code === "ENOENT";
    throw new AgentPermsError(
      "upstream_failed",
      notFound
        ? `Cannot start server ${what}: command "${entry.command}" not found`
        : `Server ${what} failed: ${msg}${exitInfo()}${stderrPart}`,
      { cause: e, hint: notFound ? "Check the command and PATH in the client config" : undefined },
    );
  } finally {
    clearTimeout(timer);
    await killAndClose(transport);
  }
}

class TimeoutSignal extends Error {}

function lastLines(text: string, n: number): string {
  return text.split("\n").slice(-n).map((l) => `  ${l}`).join("\n");
}

/** Closes stdin, then SIGKILLs after a grace period; the SDK's own close waits up to 4 s. */
async function killAndClose(
  transport: { close(): Promise<void>; pid: number | null },
): Promise<void> {
  const pid = transport.pid;
  const closing = transport.close();
  const kill = setTimeout(() => {
    if (pid !== null) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }, 500);
  try {
    await closing;
  } finally {
    clearTimeout(kill);
  }
}
