/**
 * The table of readers: how a string argument is read, top to bottom. For each string value (and each object
 * key that may be a path) the canonicalizer asks every reader in this order whether it `matches`; a matching
 * reader `read`s the value, and when it answers `done` the readers below it never see the value.
 *
 * Why this order:
 * 1. `json`, `ref`, `option` never end the reading: a JSON document in a string, a ref and an option-shaped
 *    value are also whatever they are besides (a ref can be a URL, `--output=/x` a path), so they go first and
 *    let the value through.
 * 2. `host` before `url`: under a host key a value is a host even when it looks like a URL or a path.
 * 3. `url` before the key-specific readers: a value that starts like a URL is a URL under any key (but a
 *    command or an argv element does not start like one), and a URL key's value is a URL, a path or a bare
 *    host, never nothing.
 * 4. `argv`, then `command`: their keys say how a program receives the value (as is, or through a shell).
 * 5. `joined-name` before `content` and `path`: a name beside a folder argument is joined onto it, whatever its
 *    key says it is.
 * 6. `content` before `path`: free text is not opened, unless the schema says the field is a path.
 * 7. `mail` before `path`: recipients under `from` / `to` are not paths.
 * 8. `path`: path keys. 9. `bare`: anything else that starts like a path.
 *
 * Each reader's doc comment names its corpus topics (`tests/decision/cases/<topic>/`); docs/policy.md
 * ("How argument values are read") gives the same order.
 * @module
 */
import { argvReader } from "./argv_reader.ts";
import { bareReader } from "./bare_reader.ts";
import { commandReader } from "./command_reader.ts";
import { contentReader } from "./content_reader.ts";
import { hostReader } from "./host_reader.ts";
import { joinedNameReader } from "./joined_name_reader.ts";
import { jsonReader } from "./json_reader.ts";
import { mailReader } from "./mail_reader.ts";
import { optionReader } from "./option_reader.ts";
import { pathReader } from "./path_reader.ts";
import type { Reader } from "./reader.ts";
import { refReader } from "./ref_reader.ts";
import { urlReader } from "./url_reader.ts";

/** The readers, in the order they are asked. */
export const READERS: readonly Reader[] = [
  jsonReader,
  refReader,
  optionReader,
  hostReader,
  urlReader,
  argvReader,
  commandReader,
  joinedNameReader,
  contentReader,
  mailReader,
  pathReader,
  bareReader,
];
