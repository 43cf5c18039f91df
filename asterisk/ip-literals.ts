import { BlockList, isIP } from 'node:net';

/**
 * IP literals and networks as the bundled pjsip.conf accepts them. Host names are refused on
 * purpose: pjproject resolves them through DNS (identify `match` at load time, aor `contact` on
 * every call), so a trunk would depend on, and leak lookups to, whatever resolver the host has.
 */
export type Family = 4 | 6;

export interface IpAddress {
  readonly address: string;
  readonly family: Family;
}

export interface IpNetwork extends IpAddress {
  readonly prefix: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const HOST_NAME = /^(?=.*[a-z])[a-z0-9-]+(\.[a-z0-9-]+)*\.?$/i;

export function parseIpAddress(text: string): Parsed<IpAddress> {
  const family = isIP(text);
  if (family === 4 || (family === 6 && !text.includes('%'))) return { ok: true, value: { address: text, family } };
  if (HOST_NAME.test(text)) {
    return {
      ok: false,
      reason: `expects an IP address, not a host name ("${text}"): pjproject would resolve it through DNS; ask the provider for its IP addresses`,
    };
  }
  return { ok: false, reason: `expects an IPv4 or IPv6 address such as 203.0.113.10; "${text}" is not one` };
}

/** `address` or `address/prefix`; a bare address is a single host (/32 or /128). */
export function parseIpNetwork(text: string): Parsed<IpNetwork> {
  const [addressPart, prefixPart, ...rest] = text.split('/');
  const address = parseIpAddress(addressPart ?? '');
  if (!address.ok) return address;
  const max = address.value.family === 4 ? 32 : 128;
  if (rest.length > 0 || (prefixPart !== undefined && !/^\d{1,3}$/.test(prefixPart))) {
    return { ok: false, reason: `expects an address or address/prefix such as 198.51.100.0/24; "${text}" is not one` };
  }
  const prefix = prefixPart === undefined ? max : Number(prefixPart);
  if (prefix > max) {
    return { ok: false, reason: `expects a prefix length from 1 to ${max} for an IPv${address.value.family} network; "${text}" has /${prefix}` };
  }
  if (prefix === 0) {
    return { ok: false, reason: `"${text}" matches every address, which is no IP authentication at all` };
  }
  return { ok: true, value: { ...address.value, prefix } };
}

export function networkContains(network: IpNetwork, address: IpAddress): boolean {
  if (network.family !== address.family) return false;
  const block = new BlockList();
  block.addSubnet(network.address, network.prefix, network.family === 4 ? 'ipv4' : 'ipv6');
  return block.check(address.address, address.family === 4 ? 'ipv4' : 'ipv6');
}

/** Two networks overlap exactly when the wider one contains any address of the narrower one. */
export function networksOverlap(a: IpNetwork, b: IpNetwork): boolean {
  const [wide, narrow] = a.prefix <= b.prefix ? [a, b] : [b, a];
  return networkContains(wide, narrow);
}

export function isLoopback(address: IpAddress): boolean {
  return address.family === 4 ? address.address.startsWith('127.') : networkContains(
    { address: '::1', family: 6, prefix: 128 },
    address,
  );
}

export function isUnspecified(address: IpAddress): boolean {
  return networkContains(
    address.family === 4 ? { address: '0.0.0.0', family: 4, prefix: 32 } : { address: '::', family: 6, prefix: 128 },
    address,
  );
}

/** `host:port` as SIP URIs and pjsip `bind` write it: IPv6 in brackets. */
export function hostPort(address: IpAddress, port: number): string {
  return address.family === 6 ? `[${address.address}]:${port}` : `${address.address}:${port}`;
}

export function formatNetwork(network: IpNetwork): string {
  const single = network.prefix === (network.family === 4 ? 32 : 128);
  return single ? network.address : `${network.address}/${network.prefix}`;
}
