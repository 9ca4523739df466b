import { z } from "zod";
import { authMethodModule } from "../auth-methods/registry";
import { siteFieldsSchema } from "./site-fields";

/** A site with its method parameters checked by the method's own schema (issues under `authParams`). */
export const siteInputSchema = siteFieldsSchema.transform((site, ctx) => {
  const parsed = authMethodModule(site.authMethod).schema.safeParse(site.authParams);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: "custom", path: ["authParams", ...issue.path], message: issue.message });
    }
    return z.NEVER;
  }
  return { ...site, authParams: parsed.data as Record<string, unknown> };
});

export type ValidSite = z.output<typeof siteInputSchema>;
