import dns from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import type { ConnectionOptions } from "node:tls";
import { buildConnector } from "undici";
import type { AddressPolicy } from "./address-policy";
import { OutboundAddressRefusedError, type AddressRefusal } from "./refused-error";

/**
 * Resolves like dns.lookup, then keeps only the addresses the policy allows. The socket
 * connects to what this returns, so a hostname that resolves (or re-resolves) to a private
 * address cannot slip through.
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, "");
      const allowed: dns.LookupAddress[] = [];
      const refusals: AddressRefusal[] = [];
      for (const entry of addresses) {
        const decision = policy.decide(entry.address);
        if (decision.allowed) allowed.push(entry);
        else refusals.push({ address: entry.address, reason: decision.reason });
      }
      const [first] = allowed;
      if (!first) return callback(new OutboundAddressRefusedError(hostname, refusals), "");
      if (options.all) return callback(null, allowed);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * An undici connector that only opens sockets to addresses the policy allows. Node skips
 * `lookup` for IP-literal hosts, so those are checked here before connecting.
 */
export function createGuardedConnector(policy: AddressPolicy, tls: Pick<ConnectionOptions, "cert" | "key" | "ca"> = {}): buildConnector.connector {
  const connect = buildConnector({ ...tls, lookup: guardedLookup(policy) });
  return (options, callback) => {
    const host = options.hostname.replace(/^\[(.*)\]$/, "$1");
    if (isIP(host) !== 0) {
      const decision = policy.decide(host);
      if (!decision.allowed) {
        const refusal = { address: host, reason: decision.reason };
        return callback(new OutboundAddressRefusedError(host, [refusal]), null);
      }
    }
    connect(options, callback);
  };
}
