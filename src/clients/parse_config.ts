import { parse as parseJsonc, type ParseError, printParseErrorCode } from "jsonc-parser";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import { normalizeEntry } from "./_normalize.ts";
import type { ConfigFormat, ServerEntry, ServerLocator } from "./types.ts";

/** The result of reading one config text. */
export interface ParsedConfig {
  /** The whole document (undefined when it did not parse). */
  doc: unknown;
  /** Entries found at the locators. */
  servers: ServerEntry[];
  /** Parse errors and odd entries. */
  errors: string[];
  /** True when at least one locator key was present (even if empty). */
  hasServerKey: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

/**
 * Parses a document in any supported format. JSON is always read as JSONC (comments, trailing commas).
 * @param text the file's text
 * @param format its format
 * @returns the document, or errors
 */
export function parseDocumentText(text: string, format: ConfigFormat): { doc: unknown; errors: string[] } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    if (format === "toml") return { doc: parseToml(body), errors: [] };
    if (format === "yaml") return { doc: parseYaml(body) ?? {}, errors: [] };
  } catch (e) {
    return {
      doc: undefined,
      errors: [`Cannot parse ${format.toUpperCase()}: ${(e as Error).message.split("\n")[0]}`],
    };
  }
  const errs: ParseError[] = [];
  const doc = parseJsonc(body, errs, { allowTrailingComma: true, disallowComments: false });
  if (errs.length > 0) {
    const e = errs[0]!;
    return {
      doc: undefined,
      errors: [`Cannot parse JSON: ${printParseErrorCode(e.error)} at ${lineCol(body, e.offset)}`],
    };
  }
  return { doc, errors: [] };
}

function at(doc: unknown, path: string[]): unknown {
  let cur = doc;
  for (const k of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/**
 * Reads a config text and extracts its server entries at the given locators.
 * @param text the file's text
 * @param opts the format and where servers live
 * @returns the document, entries and errors
 */
export function parseConfig(
  text: string,
  opts: { format: ConfigFormat; locators: readonly ServerLocator[] },
): ParsedConfig {
  const { doc, errors } = parseDocumentText(text, opts.format);
  const servers: ServerEntry[] = [];
  let hasServerKey = false;
  if (doc === undefined) return { doc, servers, errors, hasServerKey };
  for (const loc of opts.locators) {
    const value = at(doc, loc.at);
    if (value === undefined) continue;
    // Either shape is read at either locator: Continue also accepts Claude-style JSON maps, and generic
    // files may hold a Continue-style list.
    if ((loc.kind === "map" || loc.kind === "list") && !Array.isArray(value)) {
      if (!isRecord(value)) {
        errors.push(`"${loc.at.join(".")}" is not a map of servers`);
        continue;
      }
      hasServerKey = true;
      for (const [name, raw] of Object.entries(value)) {
        const e = normalizeEntry(name, raw, [...loc.at, name], errors);
        if (e) servers.push(e);
      }
    } else if (loc.kind === "list" || loc.kind === "map") {
      // A map locator that finds a list reads it the Continue way (items carry `name`).
      if (!Array.isArray(value)) {
        errors.push(`"${loc.at.join(".")}" is not a list of servers`);
        continue;
      }
      hasServerKey = true;
      value.forEach((raw, i) => {
        const name = isRecord(raw) && typeof raw.name === "string" ? raw.name : `#${i + 1}`;
        const e = normalizeEntry(name, raw, [...loc.at, i], errors);
        if (e) servers.push(e);
      });
    } else {
      if (!isRecord(value)) continue;
      for (const [project, pv] of Object.entries(value)) {
        const map = isRecord(pv) ? pv[loc.key] : undefined;
        if (!isRecord(map)) continue;
        hasServerKey = true;
        for (const [name, raw] of Object.entries(map)) {
          const e = normalizeEntry(name, raw, [...loc.at, project, loc.key, name], errors);
          if (e) {
            e.project = project;
            servers.push(e);
          }
        }
      }
    }
  }
  return { doc, servers, errors, hasServerKey };
}
