import { Liquid, TokenKind, type Template } from "liquidjs";
import type { FieldIssue } from "../errors";

/*
 * Payload templates: JSON whose string values may reference the event, the customer and the
 * workflow in Liquid syntax (liquidjs: a maintained, sandboxed implementation of Shopify's template
 * language, with filters and static analysis of the variables a template uses).
 *   {"points": "{{ event.points }}"}          a value that is exactly one reference keeps its JSON type
 *   {"greeting": "Hi {{ customer.name }}!"}   references inside strings are interpolated
 */

export type TemplateJson = null | boolean | number | string | TemplateJson[] | { [key: string]: TemplateJson };

/** What a template can reference: the event's data, the customer, the workflow. */
export interface TemplateScope {
  event: Record<string, unknown>;
  customer: { id: string; externalId: string | null; name: string; email: string | null };
  workflow: { id: string; name: string; event: string };
}

export const CUSTOMER_FIELDS = ["id", "externalId", "name", "email"] as const;
export const WORKFLOW_FIELDS = ["id", "name", "event"] as const;

const liquid = new Liquid({ strictVariables: true, strictFilters: true, ownPropertyOnly: true });

export class TemplateError extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

/** The payload for one run: every templated string rendered against `scope`. Throws TemplateError naming the value. */
export function renderTemplate(template: TemplateJson, scope: TemplateScope, path: (string | number)[] = []): TemplateJson {
  if (typeof template === "string") return renderString(template, scope, path);
  if (Array.isArray(template)) return template.map((item, i) => renderTemplate(item, scope, [...path, i]));
  if (template && typeof template === "object") {
    return Object.fromEntries(Object.entries(template).map(([key, value]) => [key, renderTemplate(value, scope, [...path, key])]));
  }
  return template;
}

/**
 * Save-time check: every templated string parses, and references only the event, the customer's
 * and the workflow's known fields (an event's data has no fixed shape, so any event field passes).
 */
export function templateIssues(template: TemplateJson, path: (string | number)[] = []): FieldIssue[] {
  if (typeof template === "string") return stringIssues(template, path);
  if (Array.isArray(template)) return template.flatMap((item, i) => templateIssues(item, [...path, i]));
  if (template && typeof template === "object") {
    return Object.entries(template).flatMap(([key, value]) => templateIssues(value, [...path, key]));
  }
  return [];
}

function renderString(text: string, scope: TemplateScope, path: (string | number)[]): TemplateJson {
  if (!text.includes("{")) return text;
  try {
    const parsed = liquid.parse(text);
    const single = singleReference(parsed);
    if (single !== null) return toJson(liquid.evalValueSync(single, scope as never), path);
    return liquid.renderSync(parsed, scope as never) as string;
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    throw new TemplateError(path, plain(error));
  }
}

function stringIssues(text: string, path: (string | number)[]): FieldIssue[] {
  if (!text.includes("{")) return [];
  let parsed: Template[];
  try {
    parsed = liquid.parse(text);
  } catch (error) {
    return [{ path, message: plain(error) }];
  }
  const issues: FieldIssue[] = [];
  for (const segments of liquid.globalVariableSegmentsSync(parsed)) {
    const problem = unknownReference(segments.map(String));
    if (problem) issues.push({ path, message: problem });
  }
  return issues;
}

function unknownReference([root, field]: string[]): string | null {
  const name = [root, field].filter(Boolean).join(".");
  switch (root) {
    case "event":
      return null;
    case "customer":
      return field && (CUSTOMER_FIELDS as readonly string[]).includes(field) ? null : `Unknown reference ${name}: a customer has ${CUSTOMER_FIELDS.join(", ")}`;
    case "workflow":
      return field && (WORKFLOW_FIELDS as readonly string[]).includes(field) ? null : `Unknown reference ${name}: a workflow has ${WORKFLOW_FIELDS.join(", ")}`;
    default:
      return `Unknown reference ${name}: a template can use event, customer and workflow`;
  }
}

/** The expression of a template that is exactly one `{{ … }}` (surrounding blanks allowed), else null. */
function singleReference(parsed: Template[]): string | null {
  const outputs = parsed.filter((t) => !(t.token.kind === TokenKind.HTML && t.token.getText().trim() === ""));
  if (outputs.length !== 1 || outputs[0]!.token.kind !== TokenKind.Output) return null;
  return (outputs[0]!.token as unknown as { content: string }).content;
}

function toJson(value: unknown, path: (string | number)[]): TemplateJson {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value)) as TemplateJson;
  } catch {
    throw new TemplateError(path, "The reference is not a JSON value");
  }
}

/** liquidjs messages end with the position in the template; keep the first line, no stack. */
function plain(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n", 1)[0]!;
}
