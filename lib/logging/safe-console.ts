import { describeError, isDatabaseError, thrownAt } from "./describe-error";

const installed = Symbol.for("tsw.safeConsole");

/**
 * Makes every console line name a database error by its classes and codes instead of printing it:
 * Next.js prints an error thrown while rendering a page as it is, and drizzle's errors quote the SQL
 * with its parameters. Installed once per process, before anything logs.
 */
export function installSafeConsole(target: Console = console): void {
  const marked = target as Console & { [installed]?: true };
  if (marked[installed]) return;
  marked[installed] = true;
  for (const level of ["error", "warn", "log", "info", "debug"] as const) {
    const write = target[level].bind(target);
    target[level] = (...args: unknown[]) => write(...args.map(redact));
  }
}

function redact(arg: unknown): unknown {
  if (!isDatabaseError(arg)) return arg;
  const digest = (arg as { digest?: unknown }).digest;
  const at = thrownAt(arg);
  return `${describeError(arg)}${typeof digest === "string" ? ` [digest ${digest}]` : ""}${at ? ` (at ${at})` : ""}`;
}
