import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where release-api may send webhooks. It runs inside an operator's network and POSTs signed
 * bodies to URLs that ops accounts type in, so without a rule a subscription is a server-side
 * request forgery: `http://169.254.169.254/…` (cloud metadata), `http://127.0.0.1:6379/`,
 * `http://10.0.0.1/` and every spelling of them (`0x7f000001`, `[::ffff:169.254.169.254]`).
 *
 * The rule: only http(s), no user name or password in the URL, and every address the host
 * stands for must be public unicast. Checked when a subscription is made (early, clear answer)
 * and again when a delivery connects — after DNS resolution, on the very addresses the socket
 * then uses (a DNS name that answered a public address yesterday may answer 127.0.0.1 today).
 * Operators who deliver inside their network list those hosts and ranges in
 * MAINTENANCE_WEBHOOK_ALLOWLIST.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface WebhookAllowlist {
  /** Host names (lower case) whose addresses are all allowed, e.g. hooks.corp.internal. */
  hosts: ReadonlySet<string>;
  /** Address ranges that are allowed even though private, e.g. 10.20.0.0/16, 127.0.0.1/32. */
  ranges: readonly [Address, number][];
  /** The entries as written, for messages. */
  entries: readonly string[];
}

export const EMPTY_ALLOWLIST: WebhookAllowlist = { hosts: new Set(), ranges: [], entries: [] };

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * Parses MAINTENANCE_WEBHOOK_ALLOWLIST entries: a host name, an address (a range of one) or a
 * CIDR range. Answers the allowlist, or the entries that are none of these.
 */
export function parseWebhookAllowlist(entries: readonly string[]): { allowlist: WebhookAllowlist; invalid: string[] } {
  const hosts = new Set<string>();
  const ranges: [Address, number][] = [];
  const invalid: string[] = [];
  for (const raw of entries) {
    const entry = raw
      .trim()
      .toLowerCase()
      .replace(/^\[(.*)\]$/, '$1');
    if (entry.includes('/')) {
      try {
        ranges.push(ipaddr.parseCIDR(entry));
      } catch {
        invalid.push(raw);
      }
    } else if (ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry)) {
      const address = ipaddr.parse(entry);
      ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (HOST_NAME.test(entry) && !/^[0-9.]+$/.test(entry)) {
      hosts.add(entry);
    } else {
      invalid.push(raw);
    }
  }
  return { allowlist: { hosts, ranges, entries: [...entries] }, invalid };
}

export type EgressVerdict = { allowed: true } | { allowed: false; reason: string };

const ALLOWED: EgressVerdict = { allowed: true };

/** An IPv4 address inside an IPv6 form that reaches it: mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::/96). */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = address.range();
  if (range === 'ipv4Mapped') return address.toIPv4Address();
  if (range === 'rfc6052') {
    const bytes = address.toByteArray();
    return new ipaddr.IPv4(bytes.slice(12));
  }
  return undefined;
}

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/** Why an address is not a public unicast one, in words; undefined when it is public. */
function nonPublicReason(address: Address): string | undefined {
  if (address.kind() === 'ipv4') {
    const range = address.range();
    return range === 'unicast' ? undefined : `${address.toString()} is a ${RANGE_WORDS[range] ?? `${range} `}address`;
  }
  const v6 = address as ipaddr.IPv6;
  const inner = embeddedIpv4(v6);
  if (inner) {
    const reason = nonPublicReason(inner);
    return reason ? `${v6.toString()} reaches ${reason}` : undefined;
  }
  const range = v6.range();
  if (range !== 'unicast') return `${v6.toString()} is a ${RANGE_WORDS[range] ?? `${range} `}address`;
  // ipaddr.js calls every address it has no name for "unicast", e.g. IPv4-compatible ::7f00:1.
  if (!v6.match(GLOBAL_UNICAST_V6)) return `${v6.toString()} is not a global unicast address`;
  return undefined;
}

const RANGE_WORDS: Partial<Record<string, string>> = {
  loopback: 'loopback ',
  private: 'private (RFC 1918) ',
  uniqueLocal: 'unique local (fc00::/7) ',
  linkLocal: 'link-local (cloud metadata lives here) ',
  unspecified: 'unspecified ',
  multicast: 'multicast ',
  broadcast: 'broadcast ',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10) ',
  reserved: 'reserved ',
};

export class WebhookEgressPolicy {
  constructor(private readonly allowlist: WebhookAllowlist = EMPTY_ALLOWLIST) {}

  /**
   * What the URL alone decides: scheme, credentials, a literal address, a name that always
   * means this machine. The URL is parsed by the WHATWG parser, which turns `0x7f000001`,
   * `2130706433` and `0177.0.0.1` into 127.0.0.1 — the address a client would really reach.
   * Messages never repeat the URL (it may carry a password).
   */
  checkUrl(raw: string): EgressVerdict {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { allowed: false, reason: 'the webhook URL is not a valid URL' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { allowed: false, reason: 'webhooks go over http or https only' };
    if (url.username !== '' || url.password !== '') {
      return { allowed: false, reason: 'the webhook URL must not carry a user name or password (put a token in the path or rely on the signature)' };
    }
    const host = hostOf(url);
    if (ipaddr.isValid(host)) return this.checkAddress(host, host);
    if (this.allowlist.hosts.has(host)) return ALLOWED;
    // RFC 6761: localhost and *.localhost always mean this machine, whatever DNS says.
    if (host === 'localhost' || host.endsWith('.localhost')) return { allowed: false, reason: `${host} is this machine (loopback)` };
    return ALLOWED;
  }

  /** Whether `address` (one of those `host` resolved to, or the host itself) may be connected to. */
  checkAddress(host: string, address: string): EgressVerdict {
    if (this.allowlist.hosts.has(host.toLowerCase())) return ALLOWED;
    let parsed: Address;
    try {
      parsed = ipaddr.parse(address);
    } catch {
      return { allowed: false, reason: `${address} is not an IP address` };
    }
    const forms: Address[] = [parsed];
    if (parsed.kind() === 'ipv6') {
      const inner = embeddedIpv4(parsed as ipaddr.IPv6);
      if (inner) forms.push(inner);
    }
    if (forms.some((form) => this.allowlist.ranges.some(([range, bits]) => form.kind() === range.kind() && form.match(range, bits)))) return ALLOWED;
    const reason = nonPublicReason(parsed);
    return reason ? { allowed: false, reason: `${reason}, not allowed as a webhook target (MAINTENANCE_WEBHOOK_ALLOWLIST lists exceptions)` } : ALLOWED;
  }

  /** Every address must pass: one private answer among public ones is enough to refuse the host. */
  checkAddresses(host: string, addresses: readonly string[]): EgressVerdict {
    for (const address of addresses) {
      const verdict = this.checkAddress(host, address);
      if (!verdict.allowed) return verdict;
    }
    return ALLOWED;
  }

  /**
   * A subscription-time check: the URL, then (for a host name) what it resolves to now. A name
   * that does not resolve at all is let through — it may exist only later or only in the
   * delivery network — since every delivery checks again after resolving.
   */
  async checkTarget(raw: string, resolve: WebhookResolver = systemResolver): Promise<EgressVerdict> {
    const verdict = this.checkUrl(raw);
    if (!verdict.allowed) return verdict;
    const host = hostOf(new URL(raw));
    if (ipaddr.isValid(host) || this.allowlist.hosts.has(host)) return verdict;
    let addresses: LookupAddress[];
    try {
      addresses = await resolve(host);
    } catch {
      return ALLOWED;
    }
    return this.checkAddresses(
      host,
      addresses.map((entry) => entry.address),
    );
  }

  /**
   * A `lookup` for `net.connect`/`http.request`: resolves, checks every address, and hands the
   * socket only addresses that passed, so what was checked is what gets connected to (no
   * window for DNS rebinding between a check and the connect).
   */
  guardedLookup(resolve: WebhookResolver = systemResolver): LookupFunction {
    return ((hostname: string, options: { all?: boolean; family?: number | string }, callback: (...args: unknown[]) => void) => {
      const host = hostname.toLowerCase();
      resolve(host).then(
        (found) => {
          const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
          const addresses = family ? found.filter((entry) => entry.family === family) : found;
          if (addresses.length === 0) {
            callback(Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' }));
            return;
          }
          const verdict = this.checkAddresses(
            host,
            addresses.map((entry) => entry.address),
          );
          if (!verdict.allowed) {
            callback(new WebhookTargetForbidden(`${host}: ${verdict.reason}`));
            return;
          }
          if (options.all) callback(null, addresses);
          else callback(null, addresses[0]?.address, addresses[0]?.family);
        },
        (error: unknown) => callback(error),
      );
    }) as LookupFunction;
  }
}

/** A refused connection; deliveries fail with it (and are retried, then dead-lettered). */
export class WebhookTargetForbidden extends Error {
  override readonly name = 'WebhookTargetForbidden';
}

/** Resolves a host name to every address it has (tests inject their own DNS). */
export type WebhookResolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: WebhookResolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** The host of a URL, lower case, IPv6 without its brackets. */
function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}
