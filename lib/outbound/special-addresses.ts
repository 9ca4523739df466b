import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [IpAddress, number];

interface SpecialRange {
  readonly cidr: Cidr;
  readonly label: string;
}

function special(cidr: string, label: string): SpecialRange {
  return { cidr: ipaddr.parseCIDR(cidr), label };
}

/**
 * Not globally reachable (IANA special-purpose registries), most specific first so the reason
 * names the narrowest match.
 */
const SPECIAL_IPV4: readonly SpecialRange[] = [
  special("169.254.169.254/32", "cloud metadata address"),
  special("255.255.255.255/32", "broadcast address"),
  special("0.0.0.0/8", "unspecified address"),
  special("10.0.0.0/8", "private address"),
  special("100.64.0.0/10", "carrier-grade NAT address"),
  special("127.0.0.0/8", "loopback address"),
  special("169.254.0.0/16", "link-local address"),
  special("172.16.0.0/12", "private address"),
  special("192.0.0.0/24", "reserved address"),
  special("192.0.2.0/24", "documentation address"),
  special("192.88.99.0/24", "reserved address"),
  special("192.168.0.0/16", "private address"),
  special("198.18.0.0/15", "benchmarking address"),
  special("198.51.100.0/24", "documentation address"),
  special("203.0.113.0/24", "documentation address"),
  special("224.0.0.0/4", "multicast address"),
  special("240.0.0.0/4", "reserved address"),
];

const SPECIAL_IPV6: readonly SpecialRange[] = [
  special("fd00:ec2::254/128", "cloud metadata address"),
  special("::/128", "unspecified address"),
  special("::1/128", "loopback address"),
  special("64:ff9b:1::/48", "local-use NAT64 address"),
  special("100::/64", "discard-only address"),
  special("2001:2::/48", "benchmarking address"),
  special("2001:db8::/32", "documentation address"),
  special("3fff::/20", "documentation address"),
  special("fc00::/7", "unique-local address"),
  special("fe80::/10", "link-local address"),
  special("fec0::/10", "site-local address"),
  special("ff00::/8", "multicast address"),
];

/** Every public IPv6 address is allocated from here; anything else is reserved or special. */
const GLOBAL_UNICAST_IPV6 = ipaddr.parseCIDR("2000::/3");

/** IPv6 ranges that carry an IPv4 address, which is where the packets end up. */
const EMBEDDING_IPV6: readonly { cidr: Cidr; via: string; ipv4At: number }[] = [
  { cidr: ipaddr.parseCIDR("64:ff9b::/96"), via: "NAT64", ipv4At: 6 },
  { cidr: ipaddr.parseCIDR("::ffff:0:0:0/96"), via: "IPv4-translated", ipv4At: 6 },
  { cidr: ipaddr.parseCIDR("2002::/16"), via: "6to4", ipv4At: 1 },
];

/**
 * Parses what net.isIP accepts (strict: no "127.1" shorthands); undefined for anything else.
 * IPv6 text is first re-serialised by the URL parser because ipaddr.js reads the
 * IPv4-compatible "::127.0.0.1" as the IPv4-mapped "::ffff:127.0.0.1", which it is not.
 */
export function parseIp(text: string): IpAddress | undefined {
  const family = isIP(text);
  if (family === 4) return ipaddr.IPv4.parse(text);
  if (family !== 6) return undefined;
  const withoutZone = text.replace(/%.*$/, "");
  return ipaddr.IPv6.parse(new URL(`http://[${withoutZone}]`).hostname.slice(1, -1));
}

export function inRange(address: IpAddress, [network, bits]: Cidr): boolean {
  return address.kind() === network.kind() && address.match(network, bits);
}

export function embeddedIpv4(address: ipaddr.IPv6, partIndex: number): ipaddr.IPv4 {
  const high = address.parts[partIndex]!;
  const low = address.parts[partIndex + 1]!;
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** Why an address must not be contacted by default; undefined for a public address. */
export function specialAddressLabel(address: IpAddress): string | undefined {
  if (address.kind() === "ipv4") {
    return SPECIAL_IPV4.find((s) => inRange(address, s.cidr))?.label;
  }
  const ipv6 = address as ipaddr.IPv6;
  if (ipv6.isIPv4MappedAddress()) {
    const label = specialAddressLabel(ipv6.toIPv4Address());
    return label && `${label}, IPv4-mapped`;
  }
  for (const { cidr, via, ipv4At } of EMBEDDING_IPV6) {
    if (inRange(ipv6, cidr)) {
      const label = specialAddressLabel(embeddedIpv4(ipv6, ipv4At));
      return label && `${label} behind ${via}`;
    }
  }
  const label = SPECIAL_IPV6.find((s) => inRange(ipv6, s.cidr))?.label;
  if (label) return label;
  return inRange(ipv6, GLOBAL_UNICAST_IPV6) ? undefined : "reserved address";
}
