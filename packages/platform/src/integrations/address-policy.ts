/**
 * Which addresses WebFetch may connect to. The host allow-list names hosts, but a name resolves to
 * whatever its DNS says — `localhost`, an internal service, the cloud metadata endpoint — so every
 * address is checked again when the connection is made (guarded-dispatcher.ts): loopback, private,
 * shared (CGNAT), link-local, unspecified, multicast and reserved ranges are refused, also inside
 * IPv4-mapped, IPv4-compatible and NAT64 IPv6 forms, unless web_fetch.allow_private names them.
 */
import { BlockList, isIP, isIPv4 } from 'node:net';

type Family = 'ipv4' | 'ipv6';

const FORBIDDEN: Array<[string, number, Family, string]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified ("this network", 0.0.0.0/8)'],
  ['10.0.0.0', 8, 'ipv4', 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'ipv4', 'shared address space (CGNAT, 100.64.0.0/10)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local (169.254.0.0/16, where cloud metadata lives)'],
  ['172.16.0.0', 12, 'ipv4', 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'ipv4', 'reserved (IETF protocol assignments, 192.0.0.0/24)'],
  ['192.168.0.0', 16, 'ipv4', 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'ipv4', 'reserved (benchmarking, 198.18.0.0/15)'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved (240.0.0.0/4, broadcast)'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['64:ff9b:1::', 48, 'ipv6', 'NAT64 local use (64:ff9b:1::/48)'],
  ['fc00::', 7, 'ipv6', 'unique local (fc00::/7)'],
  ['fe80::', 10, 'ipv6', 'link-local (fe80::/10)'],
  ['fec0::', 10, 'ipv6', 'site-local (fec0::/10)'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

const forbidden = FORBIDDEN.map(([net, prefix, family, reason]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, family);
  return { list, family, reason };
});

interface Allowed {
  list: BlockList;
  port: number | null;
}

/**
 * An allow_private entry: `10.1.2.3`, `10.1.2.3:4010`, `[fd00::1]:8080`, `10.1.0.0/16` or
 * `fd00::/8` (a range, any port). Returns the entry, or why it is not one.
 */
export function parseAllowPrivate(entry: string): Allowed | string {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)|([0-9a-fA-F:.]+))(?:\/(\d{1,3})|:(\d{1,5}))?$/.exec(entry);
  // An unbracketed IPv6 address cannot carry a port: `::1:4010` is an address.
  const ip = m ? (m[1] ?? m[2] ?? m[3])! : '';
  const family = isIP(ip) === 4 ? 'ipv4' : isIP(ip) === 6 ? 'ipv6' : undefined;
  if (!m || !family || (m[3] && m[5]))
    return 'an IP address, IP:port ([v6]:port for IPv6) or a CIDR range such as 10.1.0.0/16';
  const prefix = m[4] === undefined ? (family === 'ipv4' ? 32 : 128) : Number(m[4]);
  if (prefix > (family === 'ipv4' ? 32 : 128))
    return `prefix /${prefix} is too long for ${family === 'ipv4' ? 'IPv4' : 'IPv6'}`;
  const port = m[5] === undefined ? null : Number(m[5]);
  if (port !== null && (port < 1 || port > 65535)) return `port ${port} is not between 1 and 65535`;
  const list = new BlockList();
  list.addSubnet(ip, prefix, family);
  return { list, port };
}

export class AddressPolicy {
  readonly #allowed: Allowed[];

  /** Entries are validated with the platform file; one that does not parse here allows nothing. */
  constructor(allowPrivate: readonly string[] = []) {
    this.#allowed = allowPrivate.map(parseAllowPrivate).filter((a): a is Allowed => typeof a !== 'string');
  }

  /** Why connecting to `ip`:`port` is refused, or null when it may go ahead. */
  refusal(ip: string, port: number): string | null {
    const address = ip.replace(/^\[|\]$/g, '').split('%')[0]!;
    const family: Family | undefined = isIPv4(address) ? 'ipv4' : isIP(address) === 6 ? 'ipv6' : undefined;
    if (!family) return 'not an IP address';
    const reason = reasonFor(address, family);
    if (!reason) return null;
    const embedded = family === 'ipv6' ? embeddedIPv4(address) : undefined;
    const allowed = (a: string, f: Family) =>
      this.#allowed.some((x) => (x.port === null || x.port === port) && x.list.check(a, f));
    if (allowed(address, family) || (embedded && allowed(embedded, 'ipv4'))) return null;
    return reason;
  }
}

function reasonFor(address: string, family: Family): string | null {
  const hit = forbidden.find((f) => f.family === family && f.list.check(address, family));
  if (hit) return hit.reason;
  const v4 = family === 'ipv6' ? embeddedIPv4(address) : undefined;
  const inner = v4 ? reasonFor(v4, 'ipv4') : null;
  return inner ? `${inner}, as the IPv4 address ${v4} inside an IPv6 one` : null;
}

/** The IPv4 address inside an IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96) or NAT64 (64:ff9b::/96) one. */
function embeddedIPv4(address: string): string | undefined {
  const b = ipv6Bytes(address);
  if (!b) return undefined;
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const mapped = zero(0, 10) && b[10] === 0xff && b[11] === 0xff;
  const compatible = zero(0, 12);
  const nat64 = b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12);
  return mapped || compatible || nat64 ? b.slice(12).join('.') : undefined;
}

/** The 16 bytes of a valid IPv6 address (with or without a trailing dotted quad). */
function ipv6Bytes(address: string): number[] | undefined {
  let s = address;
  const quad = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (quad) {
    const q = quad.slice(2).map(Number);
    s = `${quad[1]}${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`;
  }
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  return groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}
