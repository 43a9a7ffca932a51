/**
 * The floor for comparison in `proxy_bench.ts`: the least a JSON-aware Deno proxy can do (split lines,
 * `JSON.parse`, `JSON.stringify`, forward), with no policy, trace or safety checks. Not for use.
 * @module
 */
const [cmd, ...args] = Deno.args;
const child = new Deno.Command(cmd!, { args, stdin: "piped", stdout: "piped", stderr: "inherit" }).spawn();
const enc = new TextEncoder();

async function pump(src: ReadableStream<Uint8Array>, dst: WritableStream<Uint8Array>): Promise<void> {
  const w = dst.getWriter();
  let rest = "";
  const dec = new TextDecoder();
  for await (const bytes of src) {
    rest += dec.decode(bytes, { stream: true });
    const parts = rest.split("\n");
    rest = parts.pop()!;
    if (parts.length > 0) {
      w.write(enc.encode(parts.map((l) => JSON.stringify(JSON.parse(l))).join("\n") + "\n"));
    }
  }
  await w.close().catch(() => {});
}

void pump(Deno.stdin.readable, child.stdin);
void pump(child.stdout, Deno.stdout.writable);
Deno.exit((await child.status).code);
