import type { Command } from "commander";
import { dirname, resolve } from "node:path";
import { AgentPermsError } from "../../errors.ts";
import { loadPolicy } from "../../policy/mod.ts";
import {
  BUILTIN_REDACTORS,
  compileRedactor,
  loadRedactorPlugin,
  type RedactionSwitches,
  RedactLineStream,
  type RedactorDescriptor,
  redactValue,
} from "../../redact/mod.ts";
import { type CommandEnv, homeOf } from "../command_env.ts";
import { EXIT } from "../exit_codes.ts";
import { TextLineStream } from "../text_line_stream.ts";
import { parseJsonStrict } from "../../json/mod.ts";

interface RedactOptions {
  plugin: string[];
  policy?: string;
  secrets: boolean;
  emails: boolean;
  apiKeys: boolean;
  format: "text" | "json";
  list?: boolean;
  summary?: boolean;
}

const SWITCHES = [["secrets", "secrets"], ["emails", "emails"], ["apiKeys", "api_keys"]] as const;

/** `agentperms redact`: filter stdin to stdout through the built-in redaction rules plus plugins. */
export function registerRedact(program: Command, env: CommandEnv): void {
  const cmd = program.command("redact")
    .description(
      "Redact secrets, API keys and emails from stdin to stdout (text line by line, or JSONL values)",
    )
    .option("--plugin <file>", "load a redactor plugin (.ts/.js file or npm: spec); repeatable", collect, [])
    .option(
      "-p, --policy <file>",
      "take the redaction switches and plugins from a policy's redaction section",
    )
    .option("--no-secrets", "turn off the secrets packs (private keys, passwords, tokens in assignments)")
    .option("--no-api-keys", "turn off the API key packs (vendor token formats, JWTs)")
    .option("--no-emails", "turn off email redaction")
    .option(
      "--format <format>",
      "text (redact each line as text) or json (each line is a JSON value)",
      "text",
    )
    .option("--list", "print the rules (id, pack, category, on/off) instead of filtering")
    .option("--summary", "print how often each rule fired to stderr (counts only, never values)")
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms redact < session.log > session.redacted.log
  $ agentperms redact --format json < traces/session.jsonl > clean.jsonl
  $ agentperms redact --plugin examples/redactors/acme_tokens.ts --list
  $ echo 'deploy acme_live_0123456789abcdef0123' | agentperms redact --plugin examples/redactors/acme_tokens.ts
  $ agentperms redact --no-emails --summary < notes.txt

Rule ids are <pack>/<rule>. Plugins are checked on load: each redact sample must change, each keep
sample must not, and no rule may backtrack on long hostile input (exit 3 otherwise). Exit: 0 ok, 2 bad flag, 3 invalid plugin or a line that is not JSON
(or repeats a key) in --format json (the line is dropped, never printed unredacted).`,
    )
    .action(async (opts: RedactOptions) => {
      const { io } = env;
      if (opts.format !== "text" && opts.format !== "json") {
        throw new AgentPermsError("usage", `Unknown format "${opts.format}"`, { hint: "Use text or json" });
      }
      const switches: RedactionSwitches = {};
      const pluginSpecs: { spec: string; cwd: string }[] = [];
      if (opts.policy !== undefined) {
        const loaded = await loadPolicy(opts.policy, { cwd: io.cwd(), home: homeOf(io) });
        const red = loaded.policy.redaction ?? {};
        for (const [, key] of SWITCHES) if (red[key] !== undefined) switches[key] = red[key];
        // Plugin paths in a policy are relative to the policy file, like every other policy entry.
        for (const spec of red.plugins ?? []) pluginSpecs.push({ spec, cwd: dirname(loaded.file) });
      }
      for (const [flag, key] of SWITCHES) {
        if (cmd.getOptionValueSource(flag) === "cli") switches[key] = opts[flag];
      }
      for (const spec of opts.plugin) pluginSpecs.push({ spec, cwd: io.cwd() });
      const packs: RedactorDescriptor[] = [...BUILTIN_REDACTORS];
      for (const { spec, cwd } of pluginSpecs) {
        packs.push(await loadRedactorPlugin(spec, { cwd: resolve(cwd) }));
      }
      const redactor = compileRedactor(packs, switches);

      if (opts.list) {
        const all = compileRedactor(packs, {}).rules;
        const on = new Set(redactor.rules.map((r) => r.id));
        const rows = all.map((r) => ({
          id: r.id,
          pack: r.pack,
          category: r.category ?? "always",
          active: on.has(r.id),
          description: r.description ?? "",
        }));
        if (opts.format === "json") {
          io.stdout(JSON.stringify(rows, null, 2) + "\n");
          return;
        }
        const w = Math.max(...rows.map((r) => r.id.length), 2);
        const wp = Math.max(...rows.map((r) => r.pack.length), 4);
        io.stdout(`${"ID".padEnd(w)}  ${"PACK".padEnd(wp)}  ${"CATEGORY".padEnd(8)}  ON   DESCRIPTION\n`);
        for (const r of rows) {
          io.stdout(
            `${r.id.padEnd(w)}  ${r.pack.padEnd(wp)}  ${r.category.padEnd(8)}  ${
              (r.active ? "yes" : "no").padEnd(3)
            }  ${r.description}\n`,
          );
        }
        io.stdout(`${on.size} of ${all.length} rule(s) active in ${packs.length} pack(s)\n`);
        return;
      }

      const counts = new Map<string, number>();
      if (opts.format === "text") {
        const lines = new RedactLineStream(redactor);
        const out = io.stdin().pipeThrough(textDecoder()).pipeThrough(lines);
        for await (const chunk of out) io.stdout(chunk);
        for (const [id, n] of lines.counts) counts.set(id, n);
      } else {
        let lineNo = 0;
        let bad = 0;
        const lines = io.stdin().pipeThrough(textDecoder()).pipeThrough(new TextLineStream());
        for await (const line of lines) {
          lineNo++;
          if (line.trim() === "") {
            io.stdout("\n");
            continue;
          }
          // Strict, so a repeated key or one V8 misreads is not silently rewritten in the output.
          const read = parseJsonStrict(line);
          if (!read.ok) {
            bad++;
            // Never echo the line, not even the parser's message (V8 quotes the input; a repeated key is
            // named): it may hold the very secret we are here to remove.
            io.stderr(
              `error: line ${lineNo} is ${
                read.problem === "key" ? "JSON with a repeated or unreadable key" : "not JSON"
              }, dropped\n`,
            );
            continue;
          }
          const parsed = read.value;
          const r = redactValue(parsed, redactor);
          for (const h of r.fired) counts.set(h.ruleId, (counts.get(h.ruleId) ?? 0) + 1);
          io.stdout(JSON.stringify(r.value) + "\n");
        }
        if (bad > 0) env.setExit(EXIT.invalid);
      }
      if (opts.summary) {
        const total = [...counts.values()].reduce((a, b) => a + b, 0);
        io.stderr(`${total} redaction(s)\n`);
        for (const [id, n] of [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
          io.stderr(`  ${id}  ${n}\n`);
        }
      }
    });
}

// When @types/node is in the type graph, TextDecoderStream's writable side is typed BufferSource and no
// longer matches a byte stream's pipeThrough(); the runtime object is the same.
function textDecoder(): TransformStream<Uint8Array, string> {
  return new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
