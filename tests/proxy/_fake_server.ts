/**
 * A misbehaving NDJSON "server" for the proxy's fault tests. Behaviour from argv[0]:
 * - crash: answers initialize, then exits with code 7 on the first tools/call (leaving it unanswered)
 * - ignore-eof: answers requests, and keeps running after stdin closes (until killed)
 * - slow: answers tools/call "slow" after 400 ms, everything else at once
 * - hang: never answers tools/call "hang"; writes "received hang <id>" to stderr when it arrives
 * - flood: on tools/call "flood" writes arguments.mb notifications of 1 MB each (blocking when the pipe is full),
 *   then answers
 * - garbage: writes non-JSON lines to stdout before each answer
 * - signal: on SIGTERM writes "got SIGTERM" to stderr and exits 143
 * - echo: answers tools/call "echo" with "Echo: " + arguments.message (large-message tests)
 * - big: answers tools/call with arguments.bytes "x" characters, then sends a notification of arguments.note
 *   characters
 * - env: answers tools/call with the value of the environment variable argv[1] ("unset" / "denied")
 * - grandchild: starts a 20 s `deno eval` (argv[1] as a marker) sharing its stdout, then exits with code 5 on the first
 *   tools/call (a leftover process keeps the pipe open)
 * Every mode answers `tools/call` with `{content:[{type:"text",text:<name>}]}` and other requests with `{}`.
 */
const mode = Deno.args[0] ?? "";
const enc = new TextEncoder();
const out = (s: string) => Deno.stdout.writeSync(enc.encode(s + "\n"));
if (mode === "signal") {
  Deno.addSignalListener("SIGTERM", () => {
    Deno.stderr.writeSync(enc.encode("got SIGTERM\n"));
    Deno.exit(143);
  });
}
if (mode === "ignore-eof") {
  // Keep the process alive after stdin closes.
  setInterval(() => {}, 1000);
}
function readEnv(name: string): string {
  try {
    return Deno.env.get(name) ?? "unset";
  } catch {
    return "denied";
  }
}

let parts: string[] = [];
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  // Keep pieces in a list until a newline arrives: a 10 MB line stays linear.
  let from = 0;
  let nl: number;
  const lines: string[] = [];
  while ((nl = chunk.indexOf("\n", from)) !== -1) {
    parts.push(chunk.slice(from, nl));
    lines.push(parts.join(""));
    parts = [];
    from = nl + 1;
  }
  if (from < chunk.length) parts.push(chunk.slice(from));
  for (const line of lines) {
    const m = JSON.parse(line);
    if (!("id" in m)) continue;
    const name = m.params?.name;
    if (mode === "crash" && m.method === "tools/call") Deno.exit(7);
    if (mode === "grandchild" && m.method === "tools/call") {
      new Deno.Command(Deno.execPath(), {
        args: ["eval", "await new Promise((r) => setTimeout(r, 20000))", String(Deno.args[1])],
        stdout: "inherit",
        stdin: "null",
      }).spawn();
      Deno.exit(5);
    }
    if (mode === "garbage") out("this is not json {");
    const answer = JSON.stringify({
      jsonrpc: "2.0",
      id: m.id,
      result: m.method === "initialize"
        ? {
          protocolVersion: "2025-06-18",
          capabilities: { tools: {} },
          serverInfo: { name: "fake", version: "1" },
        }
        : m.method !== "tools/call"
        ? {}
        : mode === "env"
        ? { content: [{ type: "text", text: readEnv(String(Deno.args[1])) }] }
        : mode === "echo"
        ? { content: [{ type: "text", text: "Echo: " + m.params.arguments.message }] }
        : mode === "big"
        ? { content: [{ type: "text", text: "x".repeat(Number(m.params.arguments.bytes)) }] }
        : { content: [{ type: "text", text: String(name) }] },
    });
    if (mode === "flood" && name === "flood") {
      const note = JSON.stringify({
        jsonrpc: "2.0",
        method: "notifications/message",
        params: { data: "f".repeat(1 << 20) },
      });
      for (let i = 0; i < Number(m.params.arguments.mb); i++) out(note);
    }
    if (mode === "hang" && name === "hang") {
      Deno.stderr.writeSync(enc.encode(`received hang ${m.id}\n`));
      continue;
    }
    if (mode === "slow" && name === "slow") setTimeout(() => out(answer), 400);
    else out(answer);
    if (mode === "big" && m.method === "tools/call") {
      out(JSON.stringify({
        jsonrpc: "2.0",
        method: "notifications/message",
        params: { data: "y".repeat(Number(m.params.arguments.note)) },
      }));
    }
  }
}
