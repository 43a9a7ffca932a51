import assert from "node:assert/strict";
import { launcherScript } from "./write_launcher.ts";

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
