import ipaddr from "ipaddr.js";
import { ConfigError, readEnv } from "@/lib/env";
import { inRange, parseIp, specialAddressLabel, type IpAddress } from "./special-addresses";

type Cidr = [IpAddress, number];

export type AddressDecision = { allowed: true } | { allowed: false; reason: string };

export interface AddressPolicy {
  /** Whether a connection to this IP address (plain text, no brackets) may be made. */
  decide(ip: string): AddressDecision;
}

/** An IPv4-mapped IPv6 address is the IPv4 host on the wire, so the allow-list sees it as IPv4. */
function unmap([address, bits]: Cidr): Cidr {
  if (address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [address, bits];
}

function parseEntry(entry: string): Cidr | undefined {
  const [text = "", prefix, ...rest] = entry.split("/");
  const address = text.includes("%") ? undefined : parseIp(text);
  if (!address || rest.length > 0) return undefined;
  const maxBits = address.kind() === "ipv4" ? 32 : 128;
  if (prefix === undefined) return unmap([address, maxBits]);
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > maxBits) return undefined;
  return unmap([address, Number(prefix)]);
}

/**
 * Parses an ALLOW_PRIVATE_TARGETS value: comma-separated IPs or CIDR ranges, IPv4 or IPv6,
 * e.g. "127.0.0.0/8,::1". Throws a ConfigError naming the first malformed entry.
 */
export function parseAllowList(setting: string): Cidr[] {
  return setting
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      const cidr = parseEntry(entry);
      if (!cidr) {
        throw new ConfigError(
          `ALLOW_PRIVATE_TARGETS: "${entry}" is not an IP address or CIDR range (e.g. 127.0.0.0/8 or ::1)`,
        );
      }
      return cidr;
    });
}

/**
 * Refuses loopback, private, link-local, metadata and other non-public addresses unless the
 * allow-list (ALLOW_PRIVATE_TARGETS syntax; default from the environment) contains them.
 */
export function createAddressPolicy(
  allow: string = readEnv().ALLOW_PRIVATE_TARGETS,
): AddressPolicy {
  const allowList = parseAllowList(allow);
  return {
    decide(ip) {
      const address = parseIp(ip);
      if (!address) return { allowed: false, reason: "not an IP address" };
      const label = specialAddressLabel(address);
      if (label === undefined) return { allowed: true };
      const [wireAddress] = unmap([address, 128]);
      if (allowList.some((cidr) => inRange(wireAddress, cidr))) return { allowed: true };
      return { allowed: false, reason: label };
    },
  };
}
