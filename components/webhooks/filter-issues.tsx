import type { FieldIssue } from "@/lib/errors";

/**
 * Why the Logs filters in the URL were refused, one line per issue. A field can have several
 * (`to` is both malformed and before `from`), so the field is no key.
 */
export function FilterIssues({ issues }: { issues: FieldIssue[] }) {
  return (
    <ul data-testid="filter-issues" className="mb-3">
      {issues.map((issue, i) => (
        <li key={`${issue.path.join(".")}#${i}`}>{issue.message}</li>
      ))}
    </ul>
  );
}
