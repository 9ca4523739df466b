import { Liquid } from "liquidjs";
import { z } from "zod";
import type { FieldIssue } from "../errors";
import { CUSTOMER_FIELDS, type TemplateScope } from "./template";

/** One test on the event's data or the customer: `event.points gte 100`, `customer.email exists`. */
export const CONDITION_OPERATORS = ["equals", "not_equals", "greater_than", "at_least", "less_than", "at_most", "contains", "exists", "not_exists"] as const;

export const conditionSchema = z.object({
  field: z
    .string({ error: "Choose a field" })
    .trim()
    .regex(/^(event|customer)(\.[A-Za-z_][\w-]*)+$/, "A field is event.<name> or customer.<name>, e.g. event.points"),
  operator: z.enum(CONDITION_OPERATORS, { error: "Choose how to compare" }),
  value: z.union([z.string().max(500), z.number(), z.boolean()]).optional(),
});
export type Condition = z.output<typeof conditionSchema>;

/** Fields are read through liquidjs, as templates read them. */
const liquid = new Liquid({ strictVariables: false, ownPropertyOnly: true });

export function conditionIssues(conditions: Condition[], path: (string | number)[]): FieldIssue[] {
  return conditions.flatMap((c, i) => {
    const [root, field] = c.field.split(".");
    const issues: FieldIssue[] = [];
    if (root === "customer" && !(CUSTOMER_FIELDS as readonly string[]).includes(field!)) {
      issues.push({ path: [...path, i, "field"], message: `A customer has ${CUSTOMER_FIELDS.join(", ")}` });
    }
    if (!c.operator.endsWith("exists") && c.value === undefined) issues.push({ path: [...path, i, "value"], message: "Enter a value to compare with" });
    return issues;
  });
}

/** Whether every condition holds for this event and customer (no conditions: true). */
export function conditionsHold(conditions: Condition[], scope: Pick<TemplateScope, "event" | "customer">): boolean {
  return conditions.every((c) => holds(c, liquid.evalValueSync(c.field, scope as never)));
}

function holds({ operator, value }: Condition, actual: unknown): boolean {
  switch (operator) {
    case "exists":
      return actual !== undefined && actual !== null;
    case "not_exists":
      return actual === undefined || actual === null;
    case "equals":
      return same(actual, value);
    case "not_equals":
      return !same(actual, value);
    case "contains":
      return Array.isArray(actual) ? actual.some((a) => same(a, value)) : typeof actual === "string" && actual.includes(String(value));
    default: {
      const [a, b] = [Number(actual), Number(value)];
      if (actual === null || actual === undefined || actual === "" || Number.isNaN(a) || Number.isNaN(b)) return false;
      return operator === "greater_than" ? a > b : operator === "at_least" ? a >= b : operator === "less_than" ? a < b : a <= b;
    }
  }
}

/** 100 equals "100": event data often carries numbers as strings. */
function same(actual: unknown, expected: unknown): boolean {
  if (actual === expected) return true;
  if (actual === null || actual === undefined || typeof actual === "object") return false;
  return String(actual) === String(expected);
}
