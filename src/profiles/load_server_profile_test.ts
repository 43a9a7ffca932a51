import assert from "node:assert/strict";
import { join } from "node:path";
import { loadServerProfiles } from "./load_server_profile.ts";

const PROFILE = {
  apiVersion: 1,
  server: "tracker",
  match: { names: ["tracker"] },
  tools: { "*": { scopes: { repos: { owner: "/owner", repo: "/repo" } } } },
  samples: [{ tool: "get", args: { owner: "A", repo: "b" }, want: { repos: ["a/b"] } }],
};

Deno.test("loadServerProfiles() reads JSON, YAML and module profiles and validates their samples", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "p.json"), JSON.stringify(PROFILE));
    await Deno.writeTextFile(
      join(dir, "p.yaml"),
      `- ${JSON.stringify(PROFILE)}\n- ${JSON.stringify({ ...PROFILE, server: "t2" })}\n`,
    );
    await Deno.writeTextFile(join(dir, "p.ts"), `export default ${JSON.stringify(PROFILE)};\n`);
    assert.equal((await loadServerProfiles("p.json", { cwd: dir }))[0]!.server, "tracker");
    assert.deepEqual((await loadServerProfiles("p.yaml", { cwd: dir })).map((p) => p.server), [
      "tracker",
      "t2",
    ]);
    assert.equal((await loadServerProfiles(join(dir, "p.ts"), { cwd: "/" }))[0]!.server, "tracker");
    const broken = { ...PROFILE, samples: [{ ...PROFILE.samples[0], want: { repos: ["x/y"] } }] };
    await Deno.writeTextFile(join(dir, "bad.json"), JSON.stringify(broken));
    await assert.rejects(loadServerProfiles("bad.json", { cwd: dir }), /samples\.0\.want\.repos/);
    await assert.rejects(loadServerProfiles("none.json", { cwd: dir }), /does not exist/);
    await assert.rejects(loadServerProfiles("p.txt", { cwd: dir }), /unknown profile file type/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
