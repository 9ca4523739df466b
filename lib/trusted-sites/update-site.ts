import { isDeepStrictEqual } from "node:util";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { recordAuditEvent } from "../audit/record-audit-event";
import { authMethodModule } from "../auth-methods/registry";
import { openParams, sealParams, withoutTokenState } from "../auth-methods/stored-params";
import type { Actor } from "../backoffice-auth/actor";
import type { Database } from "../db";
import { trustedSites, type TrustedSite } from "../db/schema";
import type { SecretBox } from "../secrets";
import { ValidationError } from "../errors";
import { refusedTargetIssues } from "../outbound/refused-target-issues";
import { parseOrThrow } from "../validation";
import { getSiteOrThrow } from "./get-site";
import { siteInputSchema } from "./site-input";
import { toSiteView } from "./site-view";
import { rethrowDuplicateName } from "./unique-name";

const EDITABLE = ["name", "url", "contentType", "authMethod", "rps", "threads", "timeoutMs"] as const;
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
      const refused = await refusedTargetIssues(site);
      if (refused.length > 0) throw new ValidationError(refused);
      const authChanged =
        site.authMethod !== stored.authMethod ||
        !isDeepStrictEqual(site.authParams, authMethodModule(stored.authMethod).schema.safeParse(storedParams).data);
      const authParams = authChanged
        ? sealParams(site.authMethod, site.authParams, box)
        : stored.authParams; // unchanged: keep the ciphertexts and the cached token
      const [updated] = await tx
        .update(trustedSites)
        .set({ ...site, authParams })
        .where(eq(trustedSites.id, id))
        .returning();
      const changed = [
        ...EDITABLE.filter((f) => String(site[f]) !== String(stored[f])),
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
  const secretFields = authMethodModule(stored.authMethod).secretFields;
  const params: Record<string, unknown> = { ...storedParams, ...incoming };
  for (const field of secretFields) {
    const value = incoming[field];
    if (value === undefined || value === null || value === "") params[field] = storedParams[field];
  }
  merged.authParams = params;
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
