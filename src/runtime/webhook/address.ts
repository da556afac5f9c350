import { isIPv4, isIPv6 } from "node:net";

/**
 * Classifies an IP address for the SSRF guard: `null` for a public unicast address a webhook may reach,
 * else the name of the special range it falls in. Anything that does not parse is refused ("invalid"), so
 * an address format this code does not know fails closed.
 */
export function forbiddenRange(ip: string): string | null {
  const address = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
  if (isIPv4(address)) return v4Range(parseV4(address));
  // A zone index (fe80::1%eth0) only ever goes with link-local addresses; classify the address part.
  const bare = address.split("%", 1)[0] ?? "";
  if (isIPv6(bare)) return v6Range(parseV6(bare));
  return "invalid";
}

type V4Rule = readonly [base: string, prefix: number, range: string];

// First match wins, so the single broadcast address precedes 240/4.
const V4_RULES: readonly V4Rule[] = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "shared (CGNAT)"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignment"],
  ["192.0.2.0", 24, "documentation"],
  ["192.88.99.0", 24, "6to4 relay"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["255.255.255.255", 32, "broadcast"],
  ["240.0.0.0", 4, "reserved"],
];

const V4_TABLE = V4_RULES.map(([base, prefix, range]) => {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { net: (parseV4(base) & mask) >>> 0, mask, range };
});

function parseV4(address: string): number {
  const [a = 0, b = 0, c = 0, d = 0] = address.split(".").map(Number);
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function v4Range(value: number): string | null {
  for (const rule of V4_TABLE) if ((value & rule.mask) >>> 0 === rule.net) return rule.range;
  return null;
}

/** Expands an address `isIPv6` accepted into its 128-bit value (including a trailing dotted quad). */
function parseV6(address: string): bigint {
  let text = address;
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseV4(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head = "", rest] = text.split("::") as [string, string | undefined];
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const missing = 8 - headGroups.length - restGroups.length;
  const groups =
    rest === undefined ? headGroups : [...headGroups, ...Array(missing).fill("0"), ...restGroups];
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  return value;
}

type V6Rule = {
  net: bigint;
  prefix: number;
  /** The range's name, or how to find the IPv4 address it embeds (then that address decides). */
  range: string | { v4Shift: bigint; label: string };
};

const v6 = (text: string) => parseV6(text);

// Ordered: the exact addresses :: and ::1 precede ::/96, whose other members embed an IPv4 address.
const V6_RULES: readonly V6Rule[] = [
  { net: v6("::"), prefix: 128, range: "unspecified" },
  { net: v6("::1"), prefix: 128, range: "loopback" },
  { net: v6("::ffff:0:0"), prefix: 96, range: { v4Shift: 0n, label: "IPv4-mapped" } },
  { net: v6("::ffff:0:0:0"), prefix: 96, range: { v4Shift: 0n, label: "IPv4-translated" } },
  { net: v6("::"), prefix: 96, range: { v4Shift: 0n, label: "IPv4-compatible" } },
  { net: v6("64:ff9b::"), prefix: 96, range: { v4Shift: 0n, label: "NAT64" } },
  { net: v6("64:ff9b:1::"), prefix: 48, range: "local NAT64" },
  { net: v6("100::"), prefix: 64, range: "discard-only" },
  // Teredo hides the client's IPv4 address; no legitimate webhook target lives there.
  { net: v6("2001::"), prefix: 32, range: "Teredo" },
  { net: v6("2001:db8::"), prefix: 32, range: "documentation" },
  { net: v6("2002::"), prefix: 16, range: { v4Shift: 80n, label: "6to4" } },
  { net: v6("3fff::"), prefix: 20, range: "documentation" },
  { net: v6("fc00::"), prefix: 7, range: "unique-local" },
  { net: v6("fe80::"), prefix: 10, range: "link-local" },
  { net: v6("fec0::"), prefix: 10, range: "site-local" },
  { net: v6("ff00::"), prefix: 8, range: "multicast" },
];

function v6Range(value: bigint): string | null {
  for (const rule of V6_RULES) {
    const shift = BigInt(128 - rule.prefix);
    if (value >> shift !== rule.net >> shift) continue;
    if (typeof rule.range === "string") return rule.range;
    const embedded = Number((value >> rule.range.v4Shift) & 0xffffffffn);
    const inner = v4Range(embedded);
    return inner === null ? null : `${rule.range.label} ${inner}`;
  }
  return null;
}
