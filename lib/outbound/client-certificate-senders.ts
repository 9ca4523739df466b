import { rootCertificates } from "node:tls";
import { Agent } from "undici";
import { createAddressPolicy } from "./address-policy";
import { createGuardedConnector } from "./guarded-connector";
import { createGuardedRequest, type GuardedFetchOptions, type GuardedRequest } from "./guarded-fetch";

/** What a TLS handshake presents and trusts (PEM). */
export interface ClientTls {
  cert: string;
  key: string;
  /** Extra CAs to trust for the receiver's certificate, beside the system's. */
  ca?: string;
}

/** Connection pools kept per certificate; a site that changes its certificate gets a new one. */
const MAX_POOLS = 100;

/**
 * Guarded requests that present a client certificate (mutual TLS): one connection pool per
 * certificate (same address policy as every outbound request), kept and reused, so the key is
 * decrypted and the handshake context built once per site and process, not per send.
 */
export function clientCertificateSenders(options: GuardedFetchOptions = {}) {
  const policy = createAddressPolicy(options.allow);
  const pools = new Map<string, { agent: Agent; request: GuardedRequest }>();
  return {
    /** The sender for the certificate `cacheKey` names; `open` gives its PEM parts when there is none yet. */
    requestFor(cacheKey: string, open: () => ClientTls): GuardedRequest {
      const kept = pools.get(cacheKey);
      if (kept) return kept.request;
      const tls = open();
      const agent = new Agent({ connect: createGuardedConnector(policy, { cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: [...systemCas(), tls.ca] } : {}) }) });
      const entry = { agent, request: createGuardedRequest(agent) };
      pools.set(cacheKey, entry);
      if (pools.size > MAX_POOLS) {
        const [oldest] = pools.keys();
        void pools.get(oldest!)!.agent.close();
        pools.delete(oldest!);
      }
      return entry.request;
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.agent.close()));
      pools.clear();
    },
  };
}

export type ClientCertificateSenders = ReturnType<typeof clientCertificateSenders>;

/** Giving `ca` replaces Node's trusted roots; the site's CAs are added to them instead. */
function systemCas(): readonly string[] {
  return rootCertificates;
}
