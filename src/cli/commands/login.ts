import { type Command, InvalidArgumentError, Option } from "commander";
import { AgentPermsError } from "../../errors.ts";
import type { CommandEnv } from "../command_env.ts";
import type { Io } from "../io.ts";

/** The parsed options of `agentperms login`. */
interface LoginOptions {
  server?: string;
  url?: string;
  client?: string;
  path?: string;
  clientId?: string;
  clientSecretEnv?: string;
  scope?: string;
  port?: number;
  timeout: number;
  browser: boolean;
  status?: boolean;
  logout?: boolean;
  format: "text" | "json";
}

const positiveInt = (name: string, max = Number.MAX_SAFE_INTEGER) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > max) {
    throw new InvalidArgumentError(`${name} must be a positive integer`);
  }
  return n;
};

/**
 * `agentperms login`: signs in to an OAuth-protected remote MCP server (authorization code + PKCE, loopback
 * redirect) and stores the tokens for the bridge; `--status` lists stored logins, `--logout` removes one.
 * @param program the commander program
 * @param env io and exit-code setter
 */
export function registerLogin(program: Command, env: CommandEnv): void {
  program.command("login")
    .description(
      "Sign in to a remote MCP server that uses OAuth; the bridge (proxy --url) then sends the stored token",
    )
    .option("--server <name>", "the server's name (the client config's entry name)")
    .option("--url <url>", "the remote MCP endpoint")
    .option("--client <name>", "take the URL from this client's entry named --server")
    .option("--path <file|dir>", "take the URL from the entry named --server in this config file")
    .option("--client-id <id>", "a client registered beforehand (default: dynamic client registration)")
    .option("--client-secret-env <name>", "the environment variable holding that client's secret")
    .option("--scope <scope>", "the scope to ask for (default: what the server lists)")
    .option(
      "--port <n>",
      "a fixed loopback port for the redirect (default: a free one)",
      positiveInt("--port", 65535),
    )
    .option(
      "--timeout <seconds>",
      "how long to wait for the browser",
      positiveInt("--timeout"),
      300,
    )
    .option("--no-browser", "print the URL only; do not try to open a browser")
    .option("--status", "list the stored logins (never a token)")
    .option("--logout", "remove the stored login of --server (or of --url)")
    .addOption(new Option("--format <format>", "text or json").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms login --server linear --url https://mcp.linear.app/mcp
  $ agentperms login --server notion --client claude-code
  $ agentperms login --server internal --url https://mcp.corp.example/mcp --client-id agentperms --port 8765
  $ agentperms login --status
  $ agentperms login --logout --server linear

The tokens are stored in $XDG_STATE_HOME/agentperms/oauth (else ~/.local/state/agentperms/oauth), one file
per server URL, readable only by you. The bridge never opens a browser: when its login expires and cannot be
refreshed, the client's requests fail with a message telling you to run agentperms login again.
Exit: 0; 2 usage; 4 the sign-in failed or timed out.`,
    )
    .action(async (opts: LoginOptions) => {
      const { io } = env;
      const oauth = await import("../../proxy/oauth_store.ts");
      const storeDir = oauth.oauthStoreDir((n) => io.env(n));
      if (opts.status) {
        if (opts.logout) throw new AgentPermsError("usage", "Give either --status or --logout, not both");
        const logins = await oauth.listOAuthLogins(storeDir, (m) => io.stderr(`[agentperms] ${m}\n`));
        if (opts.format === "json") {
          io.stdout(JSON.stringify({ v: 1, dir: storeDir, logins }, null, 2) + "\n");
        } else if (logins.length === 0) {
          io.stdout(`No stored logins (in ${storeDir})\n`);
        } else {
          const { alignColumns } = await import("./clients.ts");
          const now = io.now().getTime();
          io.stdout(alignColumns([
            ["SERVER", "URL", "AUTHORIZATION SERVER", "ACCESS TOKEN", "REFRESH"],
            ...logins.map((l) => [
              l.server,
              l.serverUrl,
              l.issuer ?? "-",
              l.expiresAt === undefined
                ? "no expiry given"
                : Date.parse(l.expiresAt) <= now
                ? `expired ${l.expiresAt}`
                : `expires ${l.expiresAt}`,
              l.refreshable ? "yes" : "no",
            ]),
          ]));
        }
        return;
      }
      if (opts.logout) {
        if (!opts.server && !opts.url) {
          throw new AgentPermsError("usage", "--logout needs --server NAME (or --url URL)");
        }
        const url = opts.url || opts.client || opts.path ? await serverUrl(io, opts) : undefined;
        const gone = await oauth.removeOAuthLogins(storeDir, url ? { url } : { server: opts.server! });
        if (gone.length === 0) {
          throw new AgentPermsError(
            "usage",
            `No stored login for ${url ? `"${oauth.oauthServerKey(url)}"` : `server "${opts.server}"`}`,
            { hint: "See agentperms login --status" },
          );
        }
        for (const l of gone) io.stdout(`Removed the login for "${l.server}" (${l.serverUrl})\n`);
        return;
      }
      if (!opts.server) {
        throw new AgentPermsError("usage", "Missing --server NAME", {
          hint: "Name the server as the client config does, and give --url, --client or --path",
        });
      }
      const url = await serverUrl(io, opts);
      let clientSecret: string | undefined;
      if (opts.clientSecretEnv) {
        if (!opts.clientId) throw new AgentPermsError("usage", "--client-secret-env needs --client-id");
        clientSecret = io.env(opts.clientSecretEnv);
        if (!clientSecret) {
          throw new AgentPermsError("usage", `The variable "${opts.clientSecretEnv}" is not set`, {
            hint: "Export the client secret in that variable",
          });
        }
      }
      if (url.protocol === "http:" && !isLoopback(url.hostname)) {
        io.stderr(
          `[agentperms] warning: signing in to ${url.host} over plain http: the tokens travel in clear\n`,
        );
      }
      const { runOAuthLogin } = await import("../../proxy/oauth_login.ts");
      const r = await runOAuthLogin({
        server: opts.server,
        url,
        storeDir,
        ...(opts.clientId ? { clientId: opts.clientId } : {}),
        ...(clientSecret ? { clientSecret } : {}),
        ...(opts.scope ? { scope: opts.scope } : {}),
        ...(opts.port ? { port: opts.port } : {}),
        timeoutMs: opts.timeout * 1000,
        say: (m) => io.stderr(m.endsWith("\n") ? m : `${m}\n`),
        openUrl: opts.browser ? openBrowser : () => Promise.resolve(false),
        now: () => io.now(),
      });
      if (opts.format === "json") {
        io.stdout(JSON.stringify({ v: 1, ...r.summary, registered: r.registered }, null, 2) + "\n");
      } else {
        io.stdout(
          `Signed in to "${opts.server}" (${r.summary.serverUrl})${
            r.registered ? ", registered as a new OAuth client" : ""
          }: tokens stored in ${r.file} (0600).\n` +
            `agentperms proxy --url/--remote sends them to this server when its entry has no Authorization header.\n`,
        );
      }
    });
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The server URL: --url, or the `url` of the entry named --server in a client's config. */
async function serverUrl(io: Io, opts: LoginOptions): Promise<URL> {
  const given = [opts.url, opts.client, opts.path].filter((x) => x !== undefined).length;
  if (given !== 1) {
    throw new AgentPermsError("usage", "Give exactly one of --url, --client or --path", {
      hint: "agentperms login --server NAME --url https://host/mcp",
    });
  }
  let raw = opts.url;
  if (raw === undefined) {
    const { discover } = await import("../../clients/mod.ts");
    const where = opts.path ? `"${opts.path}"` : `the configs of client "${opts.client}"`;
    const found = await discover({ io, client: opts.client ?? "all", path: opts.path });
    const entry = found.flatMap((c) => c.servers).find((e) => e.name === opts.server && e.url !== undefined);
    if (!entry?.url) {
      throw new AgentPermsError("usage", `No remote entry named "${opts.server}" in ${where}`, {
        hint: "Check the name with agentperms clients, or pass --url",
      });
    }
    let unset = false;
    raw = entry.url.replace(
      /\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{[^}]*\}/g,
      (all, name: string | undefined, dflt: string | undefined) => {
        const got = name !== undefined ? io.env(name) ?? dflt : undefined;
        if (got === undefined) unset = true;
        return got ?? all;
      },
    );
    if (unset) {
      throw new AgentPermsError("usage", `The url of "${opts.server}" names a variable that is not set`, {
        hint: "Set it, or pass --url",
      });
    }
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AgentPermsError("usage", "--url is not a URL", {
      hint: "Pass the full URL, like https://host/mcp",
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new AgentPermsError("usage", `The server URL must be http or https, not "${url.protocol}"`);
  }
  return url;
}

/** Tries to open a URL in the user's browser; never throws, never waits long. */
async function openBrowser(url: string): Promise<boolean> {
  const argv = Deno.build.os === "darwin"
    ? ["open", url]
    : Deno.build.os === "windows"
    ? ["rundll32", "url.dll,FileProtocolHandler", url]
    : ["xdg-open", url];
  try {
    const child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const r = await Promise.race([
      child.status.then((s) => s.success),
      new Promise<boolean>((res) => timer = setTimeout(() => res(true), 3000)),
    ]);
    clearTimeout(timer);
    child.unref();
    return r;
  } catch {
    return false;
  }
}
