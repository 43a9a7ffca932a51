import { isIP } from "node:net";

/** What kind of address one dialled IP is, for the egress proxy's checks. */
export type AddressClass = "metadata" | "loopback" | "private" | "link-local" | "unspecified" | "public";

const METADATA_V4 = new Set(["169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192"]);

/**
 * Classifies an IP address as the kernel will dial it: cloud metadata, loopback, private (RFC 1918, CGNAT,
 * unique-local IPv6), link-local, unspecified, or public. IPv4-mapped and -compatible IPv6 addresses are
 * classified by their IPv4 part. Anything that is not an IP literal is "unspecified" (never public).
 * @param ip an address as `getaddrinfo` returns it (IPv6 without brackets, maybe with a zone id)
 * @returns its class
 */
export function classifyAddress(ip: string): AddressClass {
  const bare = ip.replace(/^\[|\]$/g, "").replace(/%.*$/, "").toLowerCase();
  const v = isIP(bare);
  if (v === 4) return classifyV4(bare);
  if (v !== 6) return "unspecified";
  const mapped = /^(?:0{0,4}:){0,5}(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/.exec(bare) ??
    /^::ffff:0{0,4}:?(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return classifyV4(mapped[1]!);
  const words = expandV6(bare);
  if (words === undefined) return "unspecified";
  if (words.every((w) => w === 0)) return "unspecified";
  if (words.slice(0, 7).every((w) => w === 0) && words[7] === 1) return "loopback";
  if (words[0] === 0xfd00 && words[1] === 0x0ec2) return "metadata"; // AWS IMDS over IPv6
  if (words[5] === 0xffff && words.slice(0, 5).every((w) => w === 0)) {
    return classifyV4(`${words[6]! >> 8}.${words[6]! & 255}.${words[7]! >> 8}.${words[7]! & 255}`);
  }
  if ((words[0]! & 0xffc0) === 0xfe80) return "link-local";
  if ((words[0]! & 0xfe00) === 0xfc00) return "private";
  if ((words[0]! & 0xffc0) === 0xfec0) return "private"; // deprecated site-local
  return "public";
}

function classifyV4(ip: string): AddressClass {
  if (METADATA_V4.has(ip)) return "metadata";
  const [a = 0, b = 0] = ip.split(".").map(Number);
  if (a === 127) return "loopback";
  if (a === 0) return "unspecified";
  if (a === 169 && b === 254) return "link-local";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 100 && b >= 64 && b <= 127) return "private"; // carrier-grade NAT
  if (a >= 224) return "private"; // multicast and reserved: never a server a tool should reach
  return "public";
}

function expandV6(ip: string): number[] | undefined {
  const halves = ip.split("::");
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((w) => parseInt(w, 16)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? head.length !== 8 : fill < 0) return undefined;
  const words = [...head, ...new Array(halves.length === 2 ? fill : 0).fill(0), ...tail];
  return words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : undefined;
}
