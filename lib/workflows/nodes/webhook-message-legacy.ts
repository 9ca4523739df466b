import { and, eq, sql } from "drizzle-orm";
import { authMethodModule } from "../../auth-methods/registry";
import { openParams, paramsToStore, redactParams, withoutTokenState, withStoredSecrets } from "../../auth-methods/stored-params";
import { trustedSites, type TrustedSite } from "../../db/schema";
import type { Transaction } from "../../delivery/announce";
import type { FieldIssue } from "../../errors";
import { refusedTargetIssues } from "../../outbound/refused-target-issues";
import { headersToStore, headerViews } from "../../trusted-sites/stored-headers";
import type { legacyWebhookConfigSchema } from "./kinds";
import type { NodeCheckContext, NodeKindModule } from "./types";
import { queueNodeMessage } from "./webhook-message";
import type { z } from "zod";

type LegacyConfig = z.output<typeof legacyWebhookConfigSchema>;

/*
 * The legacy node (DESIGN §10): the connection is typed into the node. Saving keeps it in a trusted
 * site row of its own (`workflow_id`, `workflow_node_id`), not listed with the trusted sites, so its
 * sends go through the same delivery core (pacing, retries, Logs, Queue) and its secrets are sealed
 * like a site's; the version's graph keeps the node's settings without the secrets. That row holds the
 * node's latest saved connection: a run of an older version that reaches the node sends with it.
 */
export const legacyWebhookMessageNode: NodeKindModule<typeof legacyWebhookConfigSchema> = {
  async check(config, ctx) {
    const { stored, params } = await enteredParams(config, ctx);
    const headerIssues = headersToStore(config.headers, stored?.headers ?? [], ctx.secrets()).issues;
    const parsed = authMethodModule(config.authMethod).schema.safeParse(params);
    if (!parsed.success) return [...headerIssues, ...parsed.error.issues.map((issue): FieldIssue => ({ path: ["authParams", ...issue.path.map(String)], message: issue.message }))];
    return [...headerIssues, ...(await refusedTargetIssues({ url: config.url, authParams: parsed.data as Record<string, unknown> }))];
  },
  async save(config, ctx) {
    const { stored, params } = await enteredParams(config, ctx);
    const authParams = authMethodModule(config.authMethod).schema.parse(params) as Record<string, unknown>;
    const { headers } = headersToStore(config.headers, stored?.headers ?? [], ctx.secrets());
    const next = { authMethod: config.authMethod, authParams };
    const connection = {
      name: `${ctx.workflowName} › ${ctx.nodeId} (legacy node)`,
      url: config.url,
      contentType: config.contentType,
      httpMethod: config.httpMethod,
      bodyEncoding: config.bodyEncoding,
      headers,
      timeoutMs: config.timeoutMs,
      authMethod: config.authMethod,
      authParams: paramsToStore(stored, next, ctx.secrets()).authParams,
      // A node's connection is not activated or deactivated: the workflow is.
      status: "active" as const,
    };
    await ctx.tx
      .insert(trustedSites)
      .values({ ...connection, workflowId: ctx.workflowId, workflowNodeId: ctx.nodeId })
      .onConflictDoUpdate({
        target: [trustedSites.workflowId, trustedSites.workflowNodeId],
        targetWhere: sql`${trustedSites.workflowId} is not null`,
        set: connection,
      });
    return { ...config, headers: headerViews(headers), authParams: redactParams(config.authMethod, authParams).params };
  },
  async run(config, ctx) {
    const site = await legacyNodeSite(ctx.tx, ctx.workflowId, ctx.nodeId);
    if (!site) return { output: "failure", reason: "The legacy node's connection was never saved: save the workflow again" };
    return queueNodeMessage(site.id, config, ctx);
  },
};

/** The site row a saved legacy node keeps its connection in. */
export async function legacyNodeSite(tx: Pick<Transaction, "select">, workflowId: string, nodeId: string): Promise<TrustedSite | undefined> {
  const [site] = await tx
    .select()
    .from(trustedSites)
    .where(and(eq(trustedSites.workflowId, workflowId), eq(trustedSites.workflowNodeId, nodeId)));
  return site;
}

/** The parameters as entered, a blank secret meaning the one stored for the node (same method). */
async function enteredParams(config: LegacyConfig, ctx: NodeCheckContext) {
  const stored = ctx.workflowId ? ((await legacyNodeSite(ctx.tx, ctx.workflowId, ctx.nodeId)) ?? null) : null;
  const storedParams = stored && { method: stored.authMethod, params: withoutTokenState(openParams(stored.authMethod, stored.authParams, ctx.secrets())) };
  return { stored, params: withStoredSecrets(config.authMethod, config.authParams, storedParams) };
}
