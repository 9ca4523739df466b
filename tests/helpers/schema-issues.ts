import type { z } from "zod";

/** The messages a schema reports at `field` for `input` (empty when it accepts the field). */
export function issuesAt(schema: z.ZodType, input: unknown, field: string): string[] {
  const result = schema.safeParse(input);
  return (result.error?.issues ?? []).filter((issue) => issue.path[0] === field).map((issue) => issue.message);
}

/** A copy of `value` without `fields`, as a form or API call that omits them would send. */
export function without<T extends object>(value: T, ...fields: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !fields.includes(key)));
}

/** Everything a caller could see of a failed parse: messages, paths, codes, and the thrown text. */
export function parseErrorText(schema: z.ZodType, input: unknown): string {
  const result = schema.safeParse(input);
  return `${JSON.stringify(result.error?.issues ?? [])} ${result.error?.message ?? ""}`;
}
