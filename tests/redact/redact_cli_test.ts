/**
 * `agentperms redact` end to end: run() with a fake Io for modes and errors, and one real process to prove
 * that text mode streams (a line comes out before stdin closes).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

async function redact(args: string[], stdin: string, cwd = ROOT) {
  const io = fakeIo({ cwd, stdin, env: { HOME: "/home/user" } });
  const code = await run(["redact", ...args], io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

Deno.test("agentperms redact filters text from stdin to stdout", async () => {
  const r = await redact([], "hello\nAuthorization: Bearer abc123def\nmail bob@example.com\n");
  assert.equal(r.out, "hello\nAuthorization: Bearer ‹redacted›\nmail ‹redacted›@example.com\n");
  assert.equal(r.code, 0);
  assert.equal(r.err, "");
});

Deno.test("agentperms redact --no-emails keeps addresses and still redacts secrets", async () => {
  const r = await redact(["--no-emails"], "bob@example.com password=hunter2");
  assert.equal(r.out, "bob@example.com password=‹redacted›");
});

Deno.test("agentperms redact --format json redacts each JSONL value and drops lines that are not JSON", async () => {
  const r = await redact(
    ["--format", "json", "--summary"],
    '{"tool":"write","arguments":{"password":"x","content":"key AKIAABCDEFGHIJKLMNOP"},"n":1}\n' +
      'password=hunter2 {not json\n\n[1,"ok"]\n',
  );
  assert.equal(
    r.out,
    '{"tool":"write","arguments":{"password":"‹redacted›","content":"key ‹redacted›"},"n":1}\n\n[1,"ok"]\n',
  );
  assert.equal(r.code, 3);
  assert.ok(r.err.includes("error: line 2 is not JSON, dropped"), r.err);
  assert.ok(!r.err.includes("hunter2"), "stderr must never echo the dropped line");
  assert.ok(r.err.includes("2 redaction(s)"), r.err);
});

Deno.test("agentperms redact --format json drops a line with a repeated key instead of rewriting it, naming no key", async () => {
  // JSON.parse keeps the last of the two: the output would hold one key where the line held two.
  const r = await redact(["--format", "json"], '{"password":"hunter2","p\\u0061ssword":"x"}\n{"ok":1}\n');
  assert.equal(r.out, '{"ok":1}\n');
  assert.equal(r.code, 3);
  assert.ok(r.err.includes("error: line 1 is JSON with a repeated or unreadable key, dropped"), r.err);
  assert.ok(!r.err.includes("password") && !r.err.includes("hunter2"), r.err);
});

Deno.test("agentperms redact --list prints every rule with its pack, category and switch", async () => {
  const r = await redact(["--list", "--no-api-keys"], "");
  assert.equal(r.code, 0);
  assert.match(r.out, /^ID +PACK +CATEGORY +ON +DESCRIPTION\n/);
  assert.match(r.out, /\nemails\/email +emails +emails +yes /);
  assert.match(r.out, /\napi-keys\/jwt +api-keys +api_keys +no /);
  const json = JSON.parse((await redact(["--list", "--format", "json"], "")).out);
  assert.ok(json.some((x: { id: string }) => x.id === "private-keys/pem-private-key"));
});

Deno.test("agentperms redact --plugin loads a plugin, lists and applies its rules", async () => {
  const plugin = "examples/redactors/acme_tokens.ts";
  const list = await redact(["--plugin", plugin, "--list"], "");
  assert.match(list.out, /\nacme-tokens\/acme-api-token +acme-tokens +api_keys +yes /);
  const r = await redact(["--plugin", plugin], "deploy acme_live_0123456789abcdef0123\n");
  assert.equal(r.out, "deploy ‹redacted›\n");
});

Deno.test("agentperms redact exits 3 on a plugin that fails its samples and 2 on a bad format", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-redact-cli-" });
  try {
    await Deno.writeTextFile(
      join(dir, "bad.ts"),
      `export default { apiVersion: 1, id: "bad", version: "1", rules: [{ id: "r", pattern: /zzz/g }],
         samples: { redact: ["no match"], keep: [] } };`,
    );
    const r = await redact(["--plugin", "bad.ts"], "x", dir);
    assert.equal(r.code, 3);
    assert.match(
      r.err,
      /error: Redactor plugin "bad.ts" fails its samples: pack "bad": redact sample "no match"/,
    );
    assert.match(r.err, /hint: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const bad = await redact(["--format", "yaml"], "");
  assert.equal(bad.code, 2);
  assert.match(bad.err, /Unknown format "yaml"/);
});

Deno.test("agentperms redact --policy takes the switches and plugins from the policy", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-redact-policy-" });
  try {
    await Deno.copyFile(join(ROOT, "examples/redactors/acme_tokens.ts"), join(dir, "acme.ts"));
    // The copy imports ../../mod.ts; point it back at the repo so it loads from the temp dir.
    const src = await Deno.readTextFile(join(dir, "acme.ts"));
    await Deno.writeTextFile(
      join(dir, "acme.ts"),
      src.replace("../../src/redact/mod.ts", `${ROOT}/src/redact/mod.ts`),
    );
    await Deno.writeTextFile(
      join(dir, "p.yaml"),
      "version: 1\nservers: {}\nredaction:\n  emails: false\n  plugins: [acme.ts]\n",
    );
    const r = await redact(
      ["--policy", join(dir, "p.yaml")],
      "bob@example.com acme_test_0123456789abcdef0123",
    );
    assert.equal(r.out, "bob@example.com ‹redacted›");
    const forced = await redact(["--policy", join(dir, "p.yaml"), "--no-secrets"], "password=x");
    assert.equal(forced.out, "password=x");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agentperms redact streams: a line comes out before stdin closes", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", join(ROOT, "cli.ts"), "redact"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await writer.write(new TextEncoder().encode("token: abc123\n"));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no output within 20 s while stdin was open")), 20_000);
    });
    let got = "";
    while (!got.includes("\n")) {
      const { value, done } = await Promise.race([reader.read(), timeout]);
      if (done) break;
      got += value;
    }
    assert.equal(got, "token: ‹redacted›\n");
  } finally {
    clearTimeout(timer);
    await writer.close();
    await reader.cancel();
    assert.equal((await child.status).code, 0);
  }
});

Deno.test("agentperms redact --help shows usage with examples", async () => {
  const r = await redact(["--help"], "");
  assert.equal(r.code, 0);
  assert.match(r.out, /Usage: agentperms redact \[options\]/);
  assert.match(r.out, /\nExamples:\n {2}\$ agentperms redact < session\.log/);
  for (const flag of ["--plugin <file>", "--policy <file>", "--no-emails", "--format <format>", "--list"]) {
    assert.ok(r.out.includes(flag), flag);
  }
});
