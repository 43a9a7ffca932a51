import assert from "node:assert/strict";
import { isSensitivePath, isTooBroadPath } from "./sensitive_paths.ts";

const home = "/home/dev";

Deno.test("isSensitivePath() flags secret directories, key files and .env files, case-insensitively", () => {
  for (
    const p of [
      `${home}/.ssh/config`,
      `${home}/.SSH/id_rsa`,
      `${home}/.aws/credentials`,
      `${home}/.gnupg/x`,
      "/p/.env",
      "/p/.env.local",
      "/p/certs/server.pem",
      "/p/tls.KEY",
      "/backup/id_ed25519.pub",
      `${home}/.config/gcloud/creds.json`,
      "/etc/shadow",
    ]
  ) assert.equal(isSensitivePath(p, home), true, p);
  for (const p of ["/p/src/env.ts", "/p/keys.md", "/p/environment/x", `${home}/.config/app.json`]) {
    assert.equal(isSensitivePath(p, home), false, p);
  }
});

Deno.test("isTooBroadPath() rejects /, top-level entries, home and its ancestors", () => {
  for (const p of ["/", "/etc", "/README.md", "/home", home]) assert.equal(isTooBroadPath(p, home), true, p);
  for (const p of ["/etc/hosts", `${home}/proj`, "/tmp/x"]) assert.equal(isTooBroadPath(p, home), false, p);
});
