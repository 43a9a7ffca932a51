import { type HostRealpath, hostRealpath } from "../../canonical/mod.ts";

/** Distinct paths a run remembers before it starts over (about 200 bytes each: some 40 MB at most). */
const MAX_ENTRIES = 200_000;
/** A folder is listed once this many of its children have been asked about (listing costs more than one miss). */
const LIST_AFTER_ASKS = 4;
/** Folders with more entries than this are not kept as listings (their children are looked up one by one). */
const MAX_LISTING_ENTRIES = 50_000;
/** Names a listing can prove absent: printable ASCII, so any case folding a volume does is ASCII's. */
const ASCII_NAME_REGEXP = /^[\x20-\x7e]+$/;

/** What a folder holds, for proving a name absent: lower-cased names; null when it cannot be listed. */
type Listing = { lower: Set<string>; onlyAscii: boolean } | null;

/** How a `check` run reads the file system: the realpath to remember and how to list a folder. */
export interface CheckFsOptions {
  /** The realpath whose answers are remembered (default: the host's). */
  base?: HostRealpath;
  /** Lists a folder's entry names; throws when it cannot (default: `Deno.readDirSync`). */
  readDir?: (dir: string) => Iterable<{ name: string }>;
  /** Distinct paths kept before the memory is cleared and filled again. */
  maxEntries?: number;
  /** Use listings to prove paths absent (default: on, except on Windows, whose short names no listing shows). */
  listings?: boolean;
}

/**
 * A realpath for one `check` run: the host's realpath ({@link hostRealpath}: missing paths give undefined,
 * dangling link chains their final target), remembered for the whole run, so a path is looked up once per
 * run, not once per call. Canonicalization probes a missing path and then each of its ancestors until one
 * exists, and each failed probe of the host's realpath costs several system calls, one of which builds an
 * exception object inside the runtime: a batch of calls naming missing files spent three quarters of its
 * time there.
 *
 * A missing path is also proven missing without asking the host at all when a folder on its way was listed
 * (once per run, after it was asked about a few times) and does not hold the next name. Only a printable
 * ASCII name is proven absent so, and only from a folder whose names are all printable ASCII: a
 * case-insensitive volume (macOS, casefolded ext4) could otherwise open a name the listing spells
 * differently. `.`, `..` and empty segments are never proven absent. Anything else goes to the host.
 *
 * The live proxy does not remember (a symlink created after a first call must still be seen); `check`
 * judges a file of calls as of one moment, so one look-up per path is the same answer.
 *
 * @param opts the realpath to remember, how to list folders, limits
 * @returns a realpath with the same answers, carrying a remembered `userHome`
 */
export function checkRealpath(opts: CheckFsOptions = {}): HostRealpath {
  const base = opts.base ?? hostRealpath;
  const readDir = opts.readDir ?? Deno.readDirSync;
  const maxEntries = opts.maxEntries ?? MAX_ENTRIES;
  const useListings = opts.listings ?? Deno.build.os !== "windows";
  const real = new Map<string, string | undefined>();
  const homes = new Map<string, string | undefined>();
  const absentMemo = new Map<string, true>();
  const listings = new Map<string, Listing>();
  const asks = new Map<string, number>();

  const remember = <T>(map: Map<string, T>, key: string, value: T): T => {
    if (map.size >= maxEntries) map.clear();
    map.set(key, value);
    return value;
  };
  const listingOf = (dir: string): Listing | undefined => {
    const known = listings.get(dir);
    if (known !== undefined || listings.has(dir)) return known;
    const n = (asks.get(dir) ?? 0) + 1;
    if (n < LIST_AFTER_ASKS) {
      remember(asks, dir, n);
      return undefined;
    }
    asks.delete(dir);
    let listing: Listing = { lower: new Set(), onlyAscii: true };
    try {
      for (const e of readDir(dir)) {
        if (listing.lower.size >= MAX_LISTING_ENTRIES) {
          listing = null;
          break;
        }
        if (!ASCII_NAME_REGEXP.test(e.name)) listing.onlyAscii = false;
        listing.lower.add(e.name.toLowerCase());
      }
    } catch {
      listing = null; // missing, not a folder, unreadable: its children go to the host
    }
    return remember(listings, dir, listing);
  };
  /** True only when a listing proves `path` absent; false means "not known". */
  const provenAbsent = (path: string, keep: boolean): boolean => {
    if (absentMemo.has(path)) return true;
    const cut = path.lastIndexOf("/");
    if (cut < 0) return false;
    const name = path.slice(cut + 1);
    if (name === "" || name === "." || name === ".." || !ASCII_NAME_REGEXP.test(name)) return false;
    const parent = cut === 0 ? "/" : path.slice(0, cut);
    let absent = parent !== "/" && provenAbsent(parent, true);
    if (!absent) {
      const listing = listingOf(parent);
      absent = !!listing && listing.onlyAscii && !listing.lower.has(name.toLowerCase());
    }
    // Only a proof is kept ("not known" may become a proof once the folder is listed), and only for folders
    // on the way: a leaf is proven again from its folder's proof at the cost of one look-up.
    if (absent && keep) remember(absentMemo, path, true);
    return absent;
  };
  const realpath = (abs: string): string | undefined => {
    const hit = real.get(abs);
    if (hit !== undefined || real.has(abs)) return hit;
    if (useListings && provenAbsent(abs, false)) return undefined; // not kept: proving it again is as cheap
    return remember(real, abs, base(abs));
  };
  return Object.assign(realpath, {
    userHome: (name: string) => {
      const hit = homes.get(name);
      if (hit !== undefined || homes.has(name)) return hit;
      return remember(homes, name, base.userHome(name));
    },
  });
}
