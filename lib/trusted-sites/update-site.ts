import { eq } from "drizzle-orm";
import { z } from "zod";
import { recordAuditEvent } from "../audit/record-audit-event";
import { openParams, paramsToStore, withoutTokenState, withStoredSecrets } from "../auth-methods/stored-params";
import type { Actor } from "../backoffice-auth/actor";
import type { Database } from "../db";
import { trustedSites, type TrustedSite } from "../db/schema";
import { storedRetryPolicy } from "../delivery/policy/retry-policy";
import type { SecretBox } from "../secrets";
import { ValidationError } from "../errors";
import { refusedTargetIssues } from "../outbound/refused-target-issues";
import { parseOrThrow } from "../validation";
import { getSiteOrThrow } from "./get-site";
import { siteInputSchema } from "./site-input";
import { toSiteView } from "./site-view";
import { clientCertificateChanged, clientCertificateEntry, clientCertificateToStore } from "./stored-client-certificate";
import { headersChanged, headersToStore, headerViews } from "./stored-headers";
import { rethrowDuplicateName } from "./unique-name";
import { addThreadSlots } from "../delivery/thread-slots";

const EDITABLE = ["name", "url", "contentType", "httpMethod", "bodyEncoding", "headers", "clientCertificate", "authMethod", "rps", "threads", "timeoutMs", "retryPolicy", "orderedPerCustomer"] as const;
const patchSchema = z.record(z.string(), z.unknown(), { error: "The request body must be a JSON object" });

/**
 * Applies a partial update. Omitted fields keep their values; an omitted or empty secret keeps the
 * stored one (secrets are never sent back to the browser, so an edit form cannot resend them).
 * Changing how the site authenticates drops its cached tokens.
 */
export async function updateSite(db: Database, box: SecretBox, actor: Actor, id: string, input: unknown) {
  const patch = parseOrThrow(patchSchema, input);
  const row = await db
    .transaction(async (tx) => {
      const stored = await getSiteOrThrow(tx, id, { forUpdate: true });
      const storedParams = withoutTokenState(openParams(stored.authMethod, stored.authParams, box));
      const candidate = mergePatch(stored, storedParams, patch);
      const site = parseOrThrow(siteInputSchema, candidate);
      const { headers, issues } = headersToStore(site.headers, stored.headers, box);
      const certificate = clientCertificateToStore(site.clientCertificate, stored.clientCertificate, site.url, box);
      const refused = [...issues, ...certificate.issues, ...(await refusedTargetIssues(site))];
      if (refused.length > 0) throw new ValidationError(refused);
      const { authParams, changed: authChanged } = paramsToStore(stored, site, box);
      const [updated] = await tx
        .update(trustedSites)
        .set({ ...site, headers, clientCertificate: certificate.clientCertificate, authParams })
        .where(eq(trustedSites.id, id))
        .returning();
      if (updated!.status === "active" && site.threads > stored.threads) await addThreadSlots(tx, id, site.threads);
      const before = { ...stored, retryPolicy: storedRetryPolicy(stored.retryPolicy) };
      const changed = [
        ...EDITABLE.filter((f) => {
          if (f === "headers") return headersChanged(stored.headers, site.headers);
          if (f === "clientCertificate") return clientCertificateChanged(stored.clientCertificate, certificate.clientCertificate);
          return JSON.stringify(site[f]) !== JSON.stringify(before[f]);
        }),
        ...(authChanged ? ["authParams"] : []),
      ];
      if (changed.length > 0) {
        await recordAuditEvent(tx, { actor, action: "site.updated", siteId: id, details: { changed } });
      }
      return updated!;
    })
    .catch(rethrowDuplicateName(typeof patch.name === "string" ? patch.name.trim() : ""));
  return toSiteView(row);
}

function mergePatch(stored: TrustedSite, storedParams: Record<string, unknown>, patch: Record<string, unknown>) {
  const merged: Record<string, unknown> = {};
  for (const field of EDITABLE) merged[field] = field in patch ? patch[field] : stored[field];
  // Secret header values stay sealed in the row: what is not edited goes in blank, meaning "keep".
  if (!("headers" in patch)) merged.headers = headerViews(stored.headers);
  if (!("clientCertificate" in patch)) merged.clientCertificate = clientCertificateEntry(stored.clientCertificate);
  // A policy in a patch changes the fields it names; the others keep their stored values.
  if (isObject(patch.retryPolicy)) merged.retryPolicy = { ...storedRetryPolicy(stored.retryPolicy), ...patch.retryPolicy };
  const sameMethod = merged.authMethod === stored.authMethod;
  const incoming = isObject(patch.authParams) ? patch.authParams : undefined;
  if (!incoming) {
    merged.authParams = sameMethod ? storedParams : {};
    return merged;
  }
  if (!sameMethod) {
    merged.authParams = incoming;
    return merged;
  }
  merged.authParams = withStoredSecrets(stored.authMethod, { ...storedParams, ...incoming }, { method: stored.authMethod, params: storedParams });
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
