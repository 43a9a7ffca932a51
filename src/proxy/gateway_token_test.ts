import assert from "node:assert/strict";
import { join } from "node:path";
import { AgentPermsError } from "../errors.ts";
import { gatewayTokenPath, loadGatewayToken } from "./gateway_token.ts";

Deno.test("gatewayTokenPath() uses XDG_STATE_HOME, else HOME, and refuses neither", () => {
  assert.equal(
    gatewayTokenPath((n) => ({ XDG_STATE_HOME: "/s", HOME: "/h" })[n]),
    "/s/agentperms/gateway.token",
  );
  assert.equal(gatewayTokenPath((n) => ({ HOME: "/h" })[n]), "/h/.local/state/agentperms/gateway.token");
  assert.throws(() => gatewayTokenPath(() => undefined), AgentPermsError);
});

Deno.test("loadGatewayToken() makes a private token once, makes a readable one private again, and refuses an empty one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "state", "agentperms", "gateway.token");
    const notes: string[] = [];
    const made = await loadGatewayToken(file, (m) => notes.push(m));
    assert.equal(made.created, true);
    assert.match(made.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await Deno.stat(join(dir, "state", "agentperms"))).mode! & 0o777, 0o700);
    await Deno.chmod(file, 0o644);
    const again = await loadGatewayToken(file, (m) => notes.push(m));
    assert.deepEqual(again, { token: made.token, created: false });
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.match(notes.join("\n"), /readable by others; made it 0600/);
    await Deno.writeTextFile(file, "\n");
    await assert.rejects(loadGatewayToken(file), /holds no usable token/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
