import { z } from "zod";
import { recordAuditEvent } from "../audit/record-audit-event";
import { withoutTokenState } from "../auth-methods/stored-params";
import type { Actor } from "../backoffice-auth/actor";
import type { Database } from "../db";
import { trustedSites } from "../db/schema";
import { NotFoundError } from "../errors";
import { siteFieldsSchema } from "../trusted-sites/site-fields";
import { toSiteView } from "../trusted-sites/site-view";
import { rethrowDuplicateName } from "../trusted-sites/unique-name";
import { isUuid, parseOrThrow } from "../validation";
import { legacyNodeSite } from "./nodes/webhook-message-legacy";

export const saveAsSiteSchema = z.object({ name: siteFieldsSchema.shape.name });

/**
 * "Save as trusted site": a draft trusted site with a saved legacy node's connection (URL, request
 * shape, timeout, method and sealed credentials; cached tokens are not copied), audited. The node
 * is left as it is: the editor offers to switch it to a Webhook message node once the site is active.
 */
export async function saveLegacyNodeAsSite(db: Database, actor: Actor, workflowId: string, nodeId: string, input: unknown) {
  const { name } = parseOrThrow(saveAsSiteSchema, input);
  if (!isUuid(workflowId)) throw new NotFoundError("No such workflow");
  const row = await db
    .transaction(async (tx) => {
      const node = await legacyNodeSite(tx, workflowId, nodeId);
      if (!node) throw new NotFoundError("This workflow has no saved legacy node with that id: save the workflow first");
      const [created] = await tx
        .insert(trustedSites)
        .values({
          name,
          url: node.url,
          contentType: node.contentType,
          httpMethod: node.httpMethod,
          bodyEncoding: node.bodyEncoding,
          headers: node.headers,
          timeoutMs: node.timeoutMs,
          rps: node.rps,
          threads: node.threads,
          authMethod: node.authMethod,
          // The secrets stay sealed with the same key; only the token cache is left behind.
          authParams: withoutTokenState(node.authParams),
          status: "draft",
        })
        .returning();
      await recordAuditEvent(tx, { actor, action: "site.created", siteId: created!.id, details: { name, fromWorkflow: workflowId, fromNode: nodeId } });
      return created!;
    })
    .catch(rethrowDuplicateName(name));
  return toSiteView(row);
}
