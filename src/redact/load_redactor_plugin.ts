import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { AgentPermsError } from "../errors.ts";
import { checkSamples, type RedactorDescriptor, validateRedactor } from "./define_redactor.ts";
import { findNestedQuantifier, probeLinearTime } from "./check_linear_time.ts";

/**
 * Loads a redactor plugin: a module whose default export is a descriptor (normally `defineRedactor(...)`).
 * The descriptor is validated with zod, an unknown `apiVersion` is rejected, every sample is checked, a rule
 * with a nested quantifier is rejected and every rule is timed on long hostile inputs (`probeLinearTime`).
 * TypeScript plugins are transpiled, not type-checked; under `deno run` the plugin's folder needs read access.
 * @param pathOrSpec a file path (relative to `opts.cwd`), a `file:` URL, or an `npm:` specifier
 * @param opts `cwd` to resolve relative paths against
 * @returns the validated descriptor
 * @throws {AgentPermsError} plugin_invalid when the module cannot be imported, has no default export,
 *   fails validation, fails a sample, or has a rule that backtracks
 * @example
 * ```ts ignore
 * const pack = await loadRedactorPlugin("examples/redactors/acme_tokens.ts", { cwd: Deno.cwd() });
 * ```
 */
export async function loadRedactorPlugin(
  pathOrSpec: string,
  opts: { cwd: string },
): Promise<RedactorDescriptor> {
  const spec = /^(?:npm|file|data):/.test(pathOrSpec)
    ? pathOrSpec
    : pathToFileURL(isAbsolute(pathOrSpec) ? pathOrSpec : resolve(opts.cwd, pathOrSpec)).href;
  let mod: { default?: unknown };
  try {
    mod = await import(spec);
  } catch (e) {
    if (e instanceof AgentPermsError) {
      // defineRedactor() threw while the module evaluated: keep its message, name the file.
      throw new AgentPermsError(e.code, `Cannot load redactor plugin "${pathOrSpec}": ${e.message}`, {
        hint: e.hint,
        cause: e,
      });
    }
    throw new AgentPermsError(
      "plugin_invalid",
      `Cannot load redactor plugin "${pathOrSpec}": ${(e as Error).message?.split("\n")[0] ?? String(e)}`,
      {
        hint:
          "Give a .ts/.js file path or an npm: specifier; the module must default-export defineRedactor({...})",
        cause: e,
      },
    );
  }
  if (mod.default === undefined) {
    throw new AgentPermsError("plugin_invalid", `Redactor plugin "${pathOrSpec}" has no default export`, {
      hint: "End the module with: export default defineRedactor({...})",
    });
  }
  const d = validateRedactor(mod.default, pathOrSpec);
  const problems = checkSamples(d);
  if (problems.length) {
    throw new AgentPermsError(
      "plugin_invalid",
      `Redactor plugin "${pathOrSpec}" fails its samples: ${problems.join("; ")}`,
      {
        hint: "A redact sample must change and a keep sample must stay the same: fix the rule or the sample",
      },
    );
  }
  // Redaction runs on every proxied message, so a rule that backtracks is a denial of service: refuse
  // nested quantifiers outright (they can run for ever), then time each rule on long hostile inputs.
  for (const r of d.rules) {
    const nested = findNestedQuantifier(r.pattern);
    if (nested) {
      throw new AgentPermsError(
        "plugin_invalid",
        `Redactor plugin "${pathOrSpec}" rule "${d.id}/${r.id}" can take exponential time: ${nested}`,
        { hint: "Use one character class per run, e.g. [A-Za-z0-9_]{20,}; see docs/redaction-plugins.md" },
      );
    }
  }
  const slow = probeLinearTime(d);
  if (slow.length) {
    throw new AgentPermsError(
      "plugin_invalid",
      `Redactor plugin "${pathOrSpec}" is too slow: ${slow.join("; ")}`,
      {
        hint:
          "Start the rule with a literal prefix behind a lookbehind and bound every run; see docs/redaction-plugins.md",
      },
    );
  }
  return d;
}
