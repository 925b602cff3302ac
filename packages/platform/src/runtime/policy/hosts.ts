/**
 * Host allow-lists: `api.example.com` (the scheme's default port only), `api.example.com:8443`,
 * `*.example.com` for its subdomains (not itself), `*.example.com:8443`. Names are compared in the
 * URL parser's canonical form, so `http://2130706433/` is 127.0.0.1 and `[::ffff:127.0.0.1]` is
 * [::ffff:7f00:1]. Which addresses a name may resolve to is address-policy.ts's business.
 */
export interface HostEntry {
  host: string;
  /** `*.host`: any subdomain of host. */
  wildcard: boolean;
  /** null: the URL scheme's default port only. */
  port: number | null;
}

/** An allow_hosts entry, or why it is not one. */
export function parseHostEntry(entry: string): HostEntry | string {
  const m = /^(\*\.)?(\[[0-9a-fA-F:.]+\]|[^:/?#@\s[\]\\]+)(?::(\d{1,5}))?$/.exec(entry);
  if (!m) return 'a host name, host:port, *.domain or *.domain:port (IPv6 as [addr]:port)';
  let host: string;
  try {
    host = canonicalHost(new URL(`http://${m[2]}`).hostname);
  } catch {
    return `"${m[2]}" is not a host name`;
  }
  const wildcard = m[1] !== undefined;
  if (wildcard && (host.startsWith('[') || /^[\d.]+$/.test(host)))
    return '*. goes before a domain name, not an IP address';
  const port = m[3] === undefined ? null : Number(m[3]);
  if (port !== null && (port < 1 || port > 65535)) return `port ${port} is not between 1 and 65535`;
  return { host, wildcard, port };
}

const canonicalHost = (h: string) => h.toLowerCase().replace(/\.$/, '');

const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 };

export function hostAllowed(url: URL, allow: readonly string[]): boolean {
  const h = canonicalHost(url.hostname);
  const port = url.port ? Number(url.port) : DEFAULT_PORT[url.protocol];
  return allow.some((a) => {
    const e = parseHostEntry(a);
    if (typeof e === 'string') return false; // validated with the platform file; a bad entry allows nothing
    if ((e.port ?? DEFAULT_PORT[url.protocol]) !== port) return false;
    return e.wildcard ? h.endsWith(`.${e.host}`) : h === e.host;
  });
}
