import { isWithin } from "../canonical/mod.ts";

/**
 * A set of folders answering "is this path at or below one of them?" by looking up the path's own folders
 * (O(depth)) instead of comparing it with every folder: the same answer as `isWithin` against each.
 */
export class PathSet {
  readonly #plain = new Set<string>();
  /** Folders that are not plain normalized absolute paths: compared one by one (none in practice). */
  readonly #odd: string[] = [];

  /** @param paths the folders */
  constructor(paths: Iterable<string> = []) {
    for (const p of paths) this.add(p);
  }

  /**
   * Adds a folder.
   * @param p an absolute path
   */
  add(p: string): void {
    if (p === "/" || (p.startsWith("/") && !p.endsWith("/") && !p.includes("//"))) this.#plain.add(p);
    else this.#odd.push(p);
  }

  /**
   * True when `p` is one of the folders or lies below one (separator boundary).
   * @param p a path
   * @returns whether a folder holds it
   */
  holds(p: string): boolean {
    if (this.#plain.has("/") || this.#plain.has(p)) return true;
    if (this.#odd.length > 0 && this.#odd.some((r) => isWithin(p, r))) return true;
    if (!p.startsWith("/")) return false;
    for (let c = p.indexOf("/", 1); c > 0; c = p.indexOf("/", c + 1)) {
      if (this.#plain.has(p.slice(0, c))) return true;
    }
    return false;
  }
}
