import assert from "node:assert/strict";
import { join } from "node:path";
import { loadPolicy } from "./load_policy.ts";
import { openPolicyCache, policyCacheDir } from "./_policy_cache.ts";

const TEXT = "version: 1\nservers:\n  fs:\n    allowed_paths: [./src]\n    denied_paths: [~/.ssh]\n";

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ap-policy-cache-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const entryOf = (dir: string) => {
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".json"));
  assert.equal(names.length, 1);
  return join(dir, names[0]!);
};

Deno.test("policyCacheDir() is under XDG_CACHE_HOME, else the home's .cache", () => {
  assert.equal(policyCacheDir({ XDG_CACHE_HOME: "/x" }, "/home/u"), "/x/agentperms/policies");
  assert.equal(policyCacheDir({}, "/home/u"), "/home/u/.cache/agentperms/policies");
});

Deno.test("loadPolicy() with a cache writes a private entry and reads it back instead of parsing", async () => {
  await withTmp(async (tmp) => {
    const file = join(tmp, "p.yaml");
    await Deno.writeTextFile(file, TEXT);
    const dir = join(tmp, "cache");
    const cache = openPolicyCache(dir, "1.2.3");
    const first = await loadPolicy(file, { cwd: tmp, home: "/home/u", cache });
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    const entry = await entryOf(dir);
    assert.equal((await Deno.stat(entry)).mode! & 0o777, 0o600);
    const hit = await cache.get(TEXT);
    assert.deepEqual(hit, { policy: first.policy, warnings: first.warnings });
    const second = await loadPolicy(file, { cwd: tmp, home: "/home/u", cache });
    assert.deepEqual(second.policy, first.policy);
    assert.equal(second.compiled.servers.get("fs")!.allowedPaths!.length, 1);
    // Another AgentPerms version never reads it.
    assert.equal(await openPolicyCache(dir, "1.2.4").get(TEXT), undefined);
  });
});

Deno.test("a policy cache entry that was changed, is shared or is corrupt is ignored and rebuilt", async () => {
  await withTmp(async (tmp) => {
    const dir = join(tmp, "cache");
    const cache = openPolicyCache(dir, "1.2.3");
    const file = join(tmp, "p.yaml");
    await Deno.writeTextFile(file, TEXT);
    await loadPolicy(file, { cwd: tmp, home: "/home/u", cache });
    const entry = await entryOf(dir);
    const good = await Deno.readTextFile(entry);
    // Loosened: the denied path removed from the body, digest left as it was.
    const e = JSON.parse(good) as { body: string };
    const body = JSON.parse(e.body) as { policy: { servers: { fs: Record<string, unknown> } } };
    delete body.policy.servers.fs.denied_paths;
    await Deno.writeTextFile(entry, JSON.stringify({ ...e, body: JSON.stringify(body) }));
    assert.equal(await cache.get(TEXT), undefined);
    // Rebuilt from the file: the deny is back, and so is a good entry.
    const again = await loadPolicy(file, { cwd: tmp, home: "/home/u", cache });
    assert.deepEqual(again.policy.servers?.fs?.denied_paths, ["~/.ssh"]);
    assert.notEqual(await cache.get(TEXT), undefined);
    // Readable by others: ignored.
    await Deno.chmod(entry, 0o644);
    assert.equal(await cache.get(TEXT), undefined);
    await Deno.chmod(entry, 0o600);
    // Corrupt: ignored.
    await Deno.writeTextFile(entry, good.slice(0, 40));
    assert.equal(await cache.get(TEXT), undefined);
    // Another text's entry put in place of this one's: ignored (its key is not this text's).
    await Deno.writeTextFile(entry, good);
    const other = `${TEXT}# changed\n`;
    await cache.put(other, { policy: { version: 1, servers: {} }, warnings: [] });
    const otherEntry = [...Deno.readDirSync(dir)].map((x) => join(dir, x.name)).find((n) => n !== entry)!;
    await Deno.writeTextFile(otherEntry, good);
    assert.equal(await cache.get(other), undefined);
    assert.notEqual(await cache.get(TEXT), undefined);
  });
});
