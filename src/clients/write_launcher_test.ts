import assert from "node:assert/strict";
import { launcherScript, OTEL_QUEUE_SIZE } from "./write_launcher.ts";

Deno.test("launcherScript() carries Deno's cache and proxy settings, never proxy credentials", () => {
  const s = launcherScript(["/opt/deno", "run", "-A", "/x/cli.ts"], {
    HOME: "/home/u",
    HTTPS_PROXY: "http://alice:S3cr3t@proxy.corp:3128",
    NO_PROXY: "localhost,127.0.0.1",
    SSL_CERT_FILE: "/etc/ssl/ca.pem",
  }, new Date("2026-12-07T00:00:00Z"));
  assert.doesNotMatch(s, /S3cr3t|alice/);
  assert.match(s, /HTTPS_PROXY='http:\/\/proxy\.corp:3128'/);
  assert.match(s, /NO_PROXY='localhost,127\.0\.0\.1'/);
  assert.match(s, /DENO_DIR='\/home\/u\/\.cache\/deno'/);
  assert.match(s, /\nexec '\/opt\/deno' 'run' '-A' '\/x\/cli\.ts' "\$@"\n$/);
});

Deno.test("launcherScript() turns on Deno's OpenTelemetry exporter for --otel, with a queue that does not drop", async () => {
  await using dir = await Deno.makeTempDir().then((path) => ({
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  }));
  const script = `${dir.path}/launcher`;
  const printer = ["/bin/sh", "-c", 'echo "${OTEL_DENO:-off} ${OTEL_BSP_MAX_QUEUE_SIZE:-none}"', "sh"];
  await Deno.writeTextFile(script, launcherScript(printer, {}, new Date(0)), { mode: 0o700 });
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const o = await new Deno.Command(script, { args, env, clearEnv: true }).output();
    return new TextDecoder().decode(o.stdout).trim();
  };
  assert.equal(await run(["proxy", "--otel", "--", "srv"]), `true ${OTEL_QUEUE_SIZE}`);
  assert.equal(await run(["proxy", "--", "srv", "--otel"]), "off none", "a server's own --otel is not ours");
  assert.equal(await run(["proxy"]), "off none");
  assert.equal(
    await run(["proxy", "--otel"], { OTEL_BSP_MAX_QUEUE_SIZE: "100" }),
    "true 100",
    "the user's value wins",
  );
});
