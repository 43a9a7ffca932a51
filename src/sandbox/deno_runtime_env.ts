/**
 * Environment variables Deno itself needs in a child it starts: where its cache is, how to reach and trust the
 * npm registry (TLS roots, proxies, registry mirror). They go to every server AgentPerms starts, even with a
 * scrubbed environment: without them a server whose package is not cached yet cannot be downloaded behind a
 * corporate proxy or a TLS-inspecting gateway. The server cannot read them without `--allow-env`.
 */
export const DENO_RUNTIME_ENV: readonly string[] = [
  "PATH",
  "HOME",
  "DENO_DIR",
  "XDG_CACHE_HOME",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NODE_EXTRA_CA_CERTS", // Deno adds these roots too: the way TLS-inspecting gateways are trusted
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "NPM_CONFIG_REGISTRY",
];

/**
 * Picks {@link DENO_RUNTIME_ENV} out of an environment.
 * @param get reads one variable (`Deno.env.get`, `io.env`, or a record lookup)
 * @returns the variables that are set
 */
export function denoRuntimeEnv(get: (name: string) => string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of DENO_RUNTIME_ENV) {
    const v = get(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
