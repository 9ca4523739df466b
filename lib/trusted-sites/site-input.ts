import { z } from "zod";
import { authMethodModule } from "../auth-methods/registry";
import { readEnv } from "../env";
import { siteTimeoutRefusal, stepBudget } from "../inngest/step-budget";
import { siteFieldsSchema } from "./site-fields";

/**
 * A site with its method parameters checked by the method's own schema (issues under `authParams`)
 * and, with WEBHOOK_ENGINE=inngest, its timeout checked against what fits in one Inngest step
 * under the host's limit (INNGEST_STEP_MAX_MS).
 */
export const siteInputSchema = siteFieldsSchema.transform((site, ctx) => {
  const timeoutRefusal = inngestTimeoutRefusal(site.timeoutMs);
  if (timeoutRefusal) ctx.addIssue({ code: "custom", path: ["timeoutMs"], message: timeoutRefusal });
  const parsed = authMethodModule(site.authMethod).schema.safeParse(site.authParams);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: "custom", path: ["authParams", ...issue.path], message: issue.message });
    }
    return z.NEVER;
  }
  if (timeoutRefusal) return z.NEVER;
  return { ...site, authParams: parsed.data as Record<string, unknown> };
});

function inngestTimeoutRefusal(timeoutMs: number): string | null {
  const env = readEnv();
  if (env.WEBHOOK_ENGINE !== "inngest") return null;
  return siteTimeoutRefusal(stepBudget(env.INNGEST_STEP_MAX_MS), timeoutMs);
}

export type ValidSite = z.output<typeof siteInputSchema>;
