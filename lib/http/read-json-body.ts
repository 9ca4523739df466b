import type { z } from "zod";
import { BadRequestError, PayloadTooLargeError, ValidationError } from "../errors";
import { parseOrThrow, unstorableValueIssue } from "../validation";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Requests answered before their body was read to the end. */
const unreadBodies = new WeakSet<Request>();

/**
 * Whether the request was answered before its body was read to the end (too large). Its response
 * must say `Connection: close`: otherwise the client sends its next request on a socket whose
 * unread upload is still in the way, and has it reset.
 */
export function bodyLeftUnread(request: Request): boolean {
  return unreadBodies.has(request);
}

/**
 * Reads a JSON body of at most `limit` bytes (counted as it streams, whatever Content-Length
 * claims) and validates it: too big → 413, not JSON → 400; text PostgreSQL cannot store or nesting
 * deeper than MAX_JSON_DEPTH → 422 naming the path, before `schema` (or anything recursive) runs;
 * invalid → 422 with every field issue.
 */
export async function readJsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
  limit = MAX_BODY_BYTES,
): Promise<z.output<S>> {
  const declared = Number(request.headers.get("content-length"));
  if (declared > limit) {
    unreadBodies.add(request);
    throw new PayloadTooLargeError(limit);
  }
  const text = await readText(request, limit);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError("The request body is not valid JSON");
  }
  const issue = unstorableValueIssue(value);
  if (issue) throw new ValidationError([issue]);
  return parseOrThrow(schema, value);
}

/**
 * For a POST that takes no fields (an action on the resource in its path): no body, or `{}`. Broken
 * JSON is a 400 and anything else a 422, so a request meant for another route changes nothing.
 */
export async function readNoFieldsBody(request: Request, limit = MAX_BODY_BYTES): Promise<void> {
  if (Number(request.headers.get("content-length")) > limit) {
    unreadBodies.add(request);
    throw new PayloadTooLargeError(limit);
  }
  const text = await readText(request, limit);
  if (text.trim() === "") return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError("The request body is not valid JSON");
  }
  const empty = typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
  if (!empty) throw new ValidationError([{ path: [], message: "This request takes no fields: send no body, or {}" }]);
}

async function readText(request: Request, limit: number): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Not reader.cancel(): in `next start` that destroys the socket before the 413 is written.
      reader.releaseLock();
      unreadBodies.add(request);
      throw new PayloadTooLargeError(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
