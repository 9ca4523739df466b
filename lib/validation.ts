import type { z } from "zod";
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
