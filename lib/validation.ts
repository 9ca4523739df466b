import { z } from "zod";
import { ValidationError, type FieldIssue } from "./errors";

export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
    message: i.message,
  }));
}

/** The parsed value, or a ValidationError (422) carrying every field issue. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error));
  return parsed.data;
}

/**
 * How deeply objects and arrays may nest in what the API reads (README, "API"). zod's z.json and
 * our own code recurse over values, so deeper input would overflow the stack.
 */
export const MAX_JSON_DEPTH = 64;

/** PostgreSQL text and jsonb cannot store NUL or an unpaired UTF-16 surrogate: they would fail there, as a 500. */
export function isStorableText(text: string): boolean {
  return !text.includes("\u0000") && text.isWellFormed();
}

const UNSTORABLE = "must not contain NUL (\\u0000) or unpaired surrogate (\\ud800-\\udfff) characters";

/**
 * The first string or key in `value` that PostgreSQL could not store, or the first object or array
 * nested deeper than MAX_JSON_DEPTH, as a field issue naming its path (never the value). Walks
 * without recursion, so any depth JSON.parse produced is safe to check.
 */
export function unstorableValueIssue(value: unknown): FieldIssue | null {
  if (typeof value === "string") return isStorableText(value) ? null : { path: [], message: `Text ${UNSTORABLE}` };
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: node, path } = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    if (path.length >= MAX_JSON_DEPTH) return { path, message: `Nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays` };
    const entries: [string | number, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
    for (const [key, child] of entries) {
      if (typeof key === "string" && !isStorableText(key)) return { path, message: `Keys ${UNSTORABLE}` };
      if (typeof child === "string" && !isStorableText(child)) return { path: [...path, key], message: `Text ${UNSTORABLE}` };
      if (child !== null && typeof child === "object") stack.push({ value: child, path: [...path, key] });
    }
  }
  return null;
}

/**
 * `schema`, refusing first (422, the path named) any text PostgreSQL could not store: for query
 * params and other input that does not come through the JSON body reader, which checks the same.
 */
export function storable<S extends z.ZodType>(schema: S) {
  return z.preprocess((value, ctx) => {
    const issue = unstorableValueIssue(value);
    if (issue) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message, input: value });
    return value;
  }, schema);
}

/** Whether a path id can name a row keyed by uuid (anything else would be a PostgreSQL error, not a 404). */
export function isUuid(value: string): boolean {
  return z.uuid().safeParse(value).success;
}
