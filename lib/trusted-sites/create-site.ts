import { recordAuditEvent } from "../audit/record-audit-event";
import { sealParams } from "../auth-methods/stored-params";
import type { Actor } from "../backoffice-auth/actor";
import type { Database } from "../db";
import { trustedSites } from "../db/schema";
import type { SecretBox } from "../secrets";
import { ValidationError } from "../errors";
import { refusedTargetIssues } from "../outbound/refused-target-issues";
import { parseOrThrow } from "../validation";
import { siteInputSchema } from "./site-input";
import { rethrowDuplicateName } from "./unique-name";
import { toSiteView } from "./site-view";
import { clientCertificateToStore } from "./stored-client-certificate";
import { headersToStore } from "./stored-headers";

/** Validates and stores a new site as a draft, secrets encrypted, with an audit event. */
export async function createSite(db: Database, box: SecretBox, actor: Actor, input: unknown) {
  const site = parseOrThrow(siteInputSchema, input);
  const { headers, issues } = headersToStore(site.headers, [], box);
  const certificate = clientCertificateToStore(site.clientCertificate, null, site.url, box);
  const refused = [...issues, ...certificate.issues, ...(await refusedTargetIssues(site))];
  if (refused.length > 0) throw new ValidationError(refused);
  const row = await db
    .transaction(async (tx) => {
      const [created] = await tx
        .insert(trustedSites)
        .values({ ...site, headers, clientCertificate: certificate.clientCertificate, authParams: sealParams(site.authMethod, site.authParams, box), status: "draft" })
        .returning();
      await recordAuditEvent(tx, { actor, action: "site.created", siteId: created!.id, details: { name: site.name } });
      return created!;
    })
    .catch(rethrowDuplicateName(site.name));
  return toSiteView(row);
}
