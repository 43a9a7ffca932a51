import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { LineCounter, parseDocument } from "yaml";
import { AgentPermsError } from "../errors.ts";
import {
  type AttackPackDescriptor,
  formatIssues,
  type PackIssue,
  validateAttackPack,
} from "./attack_pack.ts";
import { parseJsonStrict } from "../json/mod.ts";

const MODULE_EXTS = new Set([".ts", ".mts", ".js", ".mjs"]);
const DATA_EXTS = new Set([".json", ".yaml", ".yml"]);
/** File extensions `loadAttackPacks` picks up in a directory. */
export const PACK_EXTS: ReadonlySet<string> = new Set([...MODULE_EXTS, ...DATA_EXTS, ".jsonl"]);

function invalid(source: string, detail: string, hint?: string): AgentPermsError {
  return new AgentPermsError("plugin_invalid", `Cannot load attack pack "${source}": ${detail}`, { hint });
}

function checked(source: string, value: unknown, where?: (i: PackIssue) => string): AttackPackDescriptor {
  const issues = validateAttackPack(value);
  if (issues.length > 0) {
    const text = where
      ? issues.map((i) => `${where(i)}${i.path ? `${i.path}: ` : ""}${i.message}`).join("; ")
      : formatIssues(issues);
    throw invalid(source, text, "See docs/attack-packs.md for the descriptor fields (apiVersion: 1)");
  }
  return value as AttackPackDescriptor;
}

/**
 * Loads one attack pack and validates it: a TS/JS module whose default export is a descriptor (usually from
 * `defineAttackPack`), a JSON or YAML data pack, a JSONL pack (a header line with the pack fields, then one
 * attack per line), or an `npm:` specifier of a published module pack.
 *
 * @param source a file path (relative to `opts.cwd`) or `npm:<package>[@version][/subpath]`
 * @param opts `cwd` relative paths resolve against
 * @returns the validated descriptor
 * @throws {AgentPermsError} `plugin_invalid` when missing, unreadable, malformed, an unknown `apiVersion`,
 *   or duplicate attack ids
 */
export async function loadAttackPack(source: string, opts: { cwd: string }): Promise<AttackPackDescriptor> {
  if (source.startsWith("npm:")) return checked(source, await importDefault(source, source));
  const abs = resolve(opts.cwd, source);
  const ext = extname(abs).toLowerCase();
  if (MODULE_EXTS.has(ext)) {
    await statOrThrow(source, abs);
    return checked(source, await importDefault(source, pathToFileURL(abs).href));
  }
  if (!DATA_EXTS.has(ext) && ext !== ".jsonl") {
    throw invalid(
      source,
      `unknown pack file type "${ext || "(none)"}"`,
      "Use a .ts/.js module, a .json/.yaml/.yml data pack, a .jsonl pack or an npm: specifier",
    );
  }
  let text: string;
  try {
    text = await Deno.readTextFile(abs);
  } catch (e) {
    throw invalid(
      source,
      e instanceof Deno.errors.NotFound ? "the file does not exist" : (e as Error).message,
    );
  }
  if (text.trim() === "") throw invalid(source, "the file is empty");
  return ext === ".jsonl" ? parseJsonl(source, text) : parseData(source, text);
}

/**
 * Loads every pack a `--pack` value names: one file, every pack file in a directory (sorted; `*_test.ts`
 * and `.d.ts` skipped), or an `npm:` specifier.
 * @param source a file, directory or `npm:` specifier
 * @param opts `cwd` relative paths resolve against
 * @returns the packs, in file-name order for a directory
 * @throws {AgentPermsError} `plugin_invalid` as {@link loadAttackPack}, or for a directory with no packs
 */
export async function loadAttackPacks(
  source: string,
  opts: { cwd: string },
): Promise<AttackPackDescriptor[]> {
  if (source.startsWith("npm:")) return [await loadAttackPack(source, opts)];
  const abs = resolve(opts.cwd, source);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(abs);
  } catch {
    throw invalid(source, "the file does not exist");
  }
  if (!info.isDirectory) return [await loadAttackPack(source, opts)];
  const names: string[] = [];
  for await (const e of Deno.readDir(abs)) {
    if (!e.isFile || !PACK_EXTS.has(extname(e.name).toLowerCase())) continue;
    if (/(?:_test|\.test)\.[mc]?[jt]s$|\.d\.ts$/.test(e.name)) continue;
    names.push(e.name);
  }
  if (names.length === 0) {
    throw invalid(source, "the directory holds no pack files (.ts, .js, .json, .yaml, .yml, .jsonl)");
  }
  names.sort();
  const packs: AttackPackDescriptor[] = [];
  for (const n of names) packs.push(await loadAttackPack(resolve(abs, n), opts));
  return packs;
}

async function statOrThrow(source: string, abs: string): Promise<void> {
  try {
    await Deno.stat(abs);
  } catch {
    throw invalid(source, "the file does not exist");
  }
}

async function importDefault(source: string, specifier: string): Promise<unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(specifier);
  } catch (e) {
    throw invalid(source, `the module failed to load: ${(e as Error).message.split("\n")[0]}`);
  }
  if (mod.default === undefined) {
    throw invalid(
      source,
      "the module has no default export",
      "Write `export default defineAttackPack({ apiVersion: 1, ... })`",
    );
  }
  return mod.default;
}

function parseData(source: string, text: string): AttackPackDescriptor {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const p = lc.linePos(e.pos[0]);
    throw invalid(source, `${p.line}:${p.col}: ${e.message.split("\n")[0]}`);
  }
  const value = doc.toJS({ maxAliasCount: 100 });
  return checked(source, value, (i) => {
    const path = i.path === "" ? [] : i.path.split(".").map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) {
        const p = lc.linePos(node.range[0]);
        return `${p.line}:${p.col}: `;
      }
    }
    return "";
  });
}

function parseJsonl(source: string, text: string): AttackPackDescriptor {
  let header: Record<string, unknown> | undefined;
  let headerLine = 0;
  const attacks: unknown[] = [];
  const lineOf: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === "" || t.startsWith("//") || t.startsWith("#")) return;
    // Read as the live proxy reads a message, so an attack is replayed as the proxy would see it.
    const r = parseJsonStrict(t);
    if (!r.ok) throw invalid(source, `line ${i + 1}: ${r.error}`);
    const v = r.value;
    if (header === undefined) {
      if (v === null || typeof v !== "object" || !("apiVersion" in v)) {
        throw invalid(
          source,
          `line ${i + 1}: the first line must be the pack header`,
          'Start with {"apiVersion":1,"id":"my-pack","version":"1.0.0","description":"..."}, then one attack per line',
        );
      }
      header = v as Record<string, unknown>;
      headerLine = i + 1;
      return;
    }
    attacks.push(v);
    lineOf.push(i + 1);
  });
  if (header === undefined) throw invalid(source, "the file holds no pack header");
  const headerAttacks = Array.isArray(header.attacks) ? header.attacks : [];
  const value = { ...header, attacks: [...headerAttacks, ...attacks] };
  return checked(source, value, (i) => {
    const m = /^attacks\.(\d+)/.exec(i.path);
    if (!m) return `line ${headerLine}: `;
    const n = Number(m[1]) - headerAttacks.length;
    return n >= 0 ? `line ${lineOf[n]}: ` : `line ${headerLine}: `;
  });
}
