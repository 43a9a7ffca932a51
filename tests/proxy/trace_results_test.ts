/**
 * End to end: what a record-mode trace keeps of a secret file the agent read. A plain-text secret matches no
 * redaction rule, so by default the trace keeps only the result's shape and hash; `--trace-results` opts in
 * to the redacted start of the text.
 */
import assert from "node:assert/strict";
import canonicalize from "canonicalize";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { firstText, npmServer, proxyArgv, sdkClient, tempDir, traceEvents } from "./_helpers.ts";

// A pass phrase in prose, which no rule can know, and an AWS key id the built-in packs redact.
const ENV_FILE = "the vault opens with correct horse battery staple\nkey AKIAABCDEFGHIJKLMNOP\n";

// The test's own HOME must not move Deno's cache (an empty one would download the server again).
const DENO_DIR = Deno.env.get("DENO_DIR") ??
  (JSON.parse(new TextDecoder().decode(
    new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" }).outputSync().stdout,
  )) as { denoDir: string }).denoDir;

async function readSecretThroughProxy(extra: string[]) {
  await using tmp = await tempDir();
  const root = join(tmp.path, "proj");
  await Deno.mkdir(root);
  await Deno.writeTextFile(join(root, ".env"), ENV_FILE);
  const traces = join(tmp.path, "traces");
  let answer: unknown;
  {
    await using client = await sdkClient(
      proxyArgv(
        { mode: "record", server: "fs", traceDir: traces, extra: ["--no-contain", ...extra] },
        npmServer("filesystem", {
          flags: ["--allow-env=__MINIMATCH_TESTING_PLATFORM__", `--allow-read=${root}`],
          args: [root],
        }),
      ),
      { env: { HOME: tmp.path, DENO_DIR } },
    );
    const r = await client.callTool({ name: "read_text_file", arguments: { path: join(root, ".env") } });
    assert.equal(firstText(r), ENV_FILE, "the client gets the file as it is");
    answer = r;
  }
  const files = [...Deno.readDirSync(traces)].map((e) => join(traces, e.name));
  const text = files.map((f) => Deno.readTextFileSync(f)).join("");
  const call = (await traceEvents(traces)).find((e) => e.kind === "call" && e.tool === "read_text_file")!;
  return { text, call, answer };
}

Deno.test("proxy record: a secret file's text is not in the trace, only the result's size, types and hash", async () => {
  const { text, call, answer } = await readSecretThroughProxy([]);
  assert.doesNotMatch(text, /horse|battery|vault|AKIA/);
  assert.equal(call.result?.outcome, "ok");
  assert.equal(call.result?.isError, false);
  assert.deepEqual(call.result?.contentTypes, ["text"]);
  assert.equal(call.result?.summary, undefined);
  assert.ok((call.result?.size ?? 0) > ENV_FILE.length);
  // The whole result (structuredContent too), as the client got it, in RFC 8785 form.
  assert.equal(
    call.result?.sha256,
    createHash("sha256").update(canonicalize(answer)!).digest("hex").slice(0, 16),
  );
});

Deno.test("proxy record --trace-results: the start of the text is kept, redacted", async () => {
  const { text, call } = await readSecretThroughProxy(["--trace-results"]);
  assert.equal(call.result?.summary, "the vault opens with correct horse battery staple\nkey ‹redacted›\n");
  assert.doesNotMatch(text, /AKIAABCDEFGHIJKLMNOP/, "the built-in packs still redact what they know");
  assert.ok(call.redactions?.some((r) => r.pointer === "#/summary"));
});
