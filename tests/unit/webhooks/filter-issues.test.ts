import { isValidElement, type ReactElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { FilterIssues } from "@/components/webhooks/filter-issues";
import { logsQuerySchema } from "@/lib/webhooks/logs-query";
import { toFieldIssues } from "@/lib/validation";

describe("the Logs page's list of invalid filters", () => {
  // Regression: the list was keyed by field, and `to` has two issues here, so React warned
  // "Encountered two children with the same key" (and may drop or duplicate a line on update).
  const parsed = logsQuerySchema.safeParse({ from: "2026-12-02T00:00", to: "2026-12-01T00:00" });
  const issues = parsed.success ? [] : toFieldIssues(parsed.error);

  it("gives each issue its own key, also when a field has two", () => {
    expect(issues.filter((i) => i.path[0] === "to")).toHaveLength(2);
    const list = FilterIssues({ issues }) as ReactElement<{ children: ReactElement[] }>;
    const keys = list.props.children.map((item) => (isValidElement(item) ? item.key : null));
    expect(keys).toHaveLength(issues.length);
    expect(new Set(keys).size).toBe(issues.length);
  });

  it("shows every message", () => {
    const html = renderToStaticMarkup(FilterIssues({ issues }));
    for (const issue of issues) expect(html).toContain(`<li>${issue.message}</li>`);
    expect(html).toContain("From must be before To");
  });
});
