/**
 * The reader interface: one way of reading a string argument (as a path, a URL, a shell command…). The
 * canonicalizer asks each reader of `READERS` (see `readers.ts`) in order whether it reads a value, and stops at
 * the first that says the value is read.
 * @module
 */
import type { ResolvedPath } from "../resolve_path.ts";
import type { CanonicalizeOptions } from "../canonicalize_call.ts";

/** What a reader says after reading: `done` stops the table for this value, `next` lets later readers read it. */
export type Outcome = "done" | "next";

/** Facts about the whole call that some readers need. */
export interface CallFacts {
  /** The call is `resources/read`, `resources/subscribe` or `completion/complete`: a `uri` there is a path. */
  uriIsPath: boolean;
  /** The server runs a program (git, kubectl, docker, ssh, curl…) with the call's arguments. */
  onProgram: boolean;
}

/** Where a string value sits in the call. */
export interface Place {
  /** JSON pointer into the arguments (`/paths/1`; `/(json)` marks a JSON document inside a string). */
  pointer: string;
  /** The nearest object key above the value, as written (`savePath`). */
  key: string;
  /** The same key normalized (`savepath`, see `normKey`). */
  k: string;
  /** What the tool's input schema says the top-level argument is: `url` or `path`. */
  hint?: string;
  /** Nesting depth of the value. */
  depth: number;
  /** How many JSON-in-a-string levels down the value is. */
  jsonLevel: number;
  /** Folder arguments beside the value (`dir`, `cwd`, `repo_path`…), already resolved. */
  bases: ResolvedPath[];
  /** An argument beside the value asks for the whole tree (`"recursive": true`). */
  recursive?: boolean;
  /** Facts about the whole call. */
  call: CallFacts;
}

/** Where readers put what they find; owned by one `canonicalizeCall`. */
export interface Sink {
  /** The call's options (cwd, home, realpath…), with the call's own look-up cache. */
  readonly opts: CanonicalizeOptions;
  /** Characters of shell text the call may still parse. */
  readonly shellBudget: { chars: number };
  /** Characters of JSON-in-a-string the call may still parse. */
  readonly jsonBudget: { chars: number };
  /**
   * Resolves a path value (against `cwd` when given, else the server's working folder) and records it.
   * `denyOnly` records a reading only denied paths and patterns judge (a word that may not be a file); `exact`
   * also reads the value with its leading and trailing spaces and quotes (a shell word is the exact name).
   */
  path(value: string, at: Place, how?: { cwd?: string; denyOnly?: boolean; exact?: boolean }): void;
  /** Resolves a path without recording it (a folder another value is read against). */
  resolve(value: string, cwd?: string): ResolvedPath;
  /** Records every reading a client could make of a URL, or of a bare host when `bareHost` is set. */
  url(value: string, at: Place, bareHost: boolean): void;
  /** Records a ref-like value for the option-injection guard. */
  ref(value: string, at: Place): void;
  /** Records a value a program would read as a command-line option. */
  option(value: string, at: Place): void;
  /** Records a `file:` URL given where a network URL was expected. */
  fileUrl(at: Place): void;
  /** Records a value whose meaning is only known when it runs. */
  unproven(reason: string, at: Place): void;
  /** Marks the call malformed (the first reason wins). */
  malformed(reason: string): void;
  /** Reads the values of a JSON document found inside a string, one level further down. */
  walk(doc: object, at: Place): void;
  /** Counts one more value read; throws past the call's limit (the call is then malformed). */
  count(): void;
}

/** One way of reading a string argument. */
export interface Reader {
  /** Kebab-case id, used in docs and tests. */
  id: string;
  /** The decision-corpus topic folders (`tests/decision/cases/<topic>/`) whose rows exercise this reader. */
  corpus: readonly string[];
  /** True when this reader reads the value at this place. Cheap and pure. */
  matches(value: string, at: Place): boolean;
  /** Reads the value into the sink; `done` when later readers must not read it. */
  read(value: string, at: Place, out: Sink): Outcome;
}
