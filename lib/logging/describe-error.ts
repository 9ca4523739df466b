/*
 * What the server log may say about an error. Database errors carry request data: drizzle's
 * DrizzleQueryError quotes the whole SQL and its parameters (payloads, names, URLs, token hashes)
 * in its message, and PostgreSQL's own messages can quote a rejected value. So the log names an
 * error by its classes and codes only, never by those messages.
 */

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  stack?: unknown;
  query?: unknown;
  params?: unknown;
  severity?: unknown;
}

const MAX_CHAIN = 5;

/** Whether an error, or one it wraps, came from the database driver (its message may quote data). */
export function isDatabaseError(error: unknown): boolean {
  return chain(error).some((e) => ["DrizzleQueryError", "PostgresError"].includes(className(e)) || ("query" in e && "params" in e));
}

/**
 * One line naming an error: each class in its cause chain with its code, e.g.
 * `DrizzleQueryError ← PostgresError 22P05`. Messages are kept only for errors that are not from the
 * database (ours, Node's system errors), truncated to one line.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error) && (typeof error !== "object" || error === null)) return typeof error;
  const fromDatabase = isDatabaseError(error);
  return chain(error)
    .map((e) => {
      const name = className(e);
      const code = typeof e.code === "string" || typeof e.code === "number" ? ` ${e.code}` : "";
      const message = !fromDatabase && typeof e.message === "string" && e.message ? `: ${oneLine(e.message)}` : "";
      return name + code + message;
    })
    .join(" ← ");
}

/** Where in our code an error was thrown: the first stack frame outside node_modules (frames carry no request data). */
export function thrownAt(error: unknown): string | undefined {
  const stack = (error as ErrorLike | null)?.stack;
  if (typeof stack !== "string") return undefined;
  const frames = stack.split("\n").filter((l) => l.trimStart().startsWith("at "));
  const frame = frames.find((l) => !l.includes("node_modules")) ?? frames[0];
  return frame?.trim().slice(3, 200);
}

/** drizzle's DrizzleQueryError keeps the name "Error": its constructor says what it is. */
function className(e: ErrorLike): string {
  const ctor = (e as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof ctor === "string" && ctor && ctor !== "Error" && ctor !== "Object") return ctor;
  return typeof e.name === "string" && e.name ? e.name : "Error";
}

function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  for (let e = error; e && typeof e === "object" && out.length < MAX_CHAIN; e = (e as ErrorLike).cause) out.push(e as ErrorLike);
  return out;
}

function oneLine(text: string): string {
  const line = text.split("\n", 1)[0]!;
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
