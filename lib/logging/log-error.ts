import { randomBytes } from "node:crypto";
import { describeError, thrownAt } from "./describe-error";

/**
 * Writes one line for a failure nobody expected — where (a route), an error id the user is shown,
 * the error's classes and codes, and the stack frame it came from — and returns the id. Never the
 * error's data: see describe-error.ts.
 */
export function logUnexpectedError(where: string, error: unknown): string {
  const id = randomBytes(6).toString("hex");
  const at = thrownAt(error);
  console.error(`error ${id} in ${where}: ${describeError(error)}${at ? ` (at ${at})` : ""}`);
  return id;
}

/** A route as the log names it: the method and path, ids and other values replaced by placeholders. */
export function routeLabel(request: Request): string {
  let pathname: string;
  try {
    pathname = new URL(request.url).pathname;
  } catch {
    pathname = "?";
  }
  const segments = pathname.split("/").map((s) => (s === "" || /^[a-z][a-z-]*$/.test(s) ? s : ":id"));
  return `${request.method} ${segments.join("/")}`;
}
