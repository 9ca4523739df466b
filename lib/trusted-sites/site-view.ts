import { redactParams } from "../auth-methods/stored-params";
import type { TrustedSite } from "../db/schema";
import { storedRetryPolicy } from "../delivery/policy/retry-policy";
import { signingSecretViews } from "../signing-secrets/stored-signing-secret";
import { clientCertificateView } from "./stored-client-certificate";
import { headerViews } from "./stored-headers";

/** A site as it may leave the server: secrets replaced by whether they are set. */
export function toSiteView(site: TrustedSite) {
  const { params, secretsSet } = redactParams(site.authMethod, site.authParams);
  return {
    id: site.id,
    name: site.name,
    url: site.url,
    contentType: site.contentType,
    httpMethod: site.httpMethod,
    bodyEncoding: site.bodyEncoding,
    headers: headerViews(site.headers),
    /** Mutual TLS: the certificate's public parts and whether its key is set. */
    clientCertificate: clientCertificateView(site.clientCertificate),
    /** Standard Webhooks signing: the secrets that sign now (none: unsigned), never the secrets themselves. */
    signingSecrets: signingSecretViews(site.signingSecrets),
    authMethod: site.authMethod,
    authParams: params,
    secretsSet,
    status: site.status,
    rps: site.rps,
    threads: site.threads,
    timeoutMs: site.timeoutMs,
    retryPolicy: storedRetryPolicy(site.retryPolicy),
    /** Since when every attempt has failed (null: the last one succeeded, or none failed yet). */
    failingSince: site.failingSince,
    /** Why the system set the site inactive (410 Gone, failing too long), until its status changes again. */
    statusReason: site.statusReason,
    orderedPerCustomer: site.orderedPerCustomer,
    createdAt: site.createdAt,
    updatedAt: site.updatedAt,
  };
}

export type SiteView = ReturnType<typeof toSiteView>;
