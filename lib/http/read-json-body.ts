import type { z } from "zod";
import { BadRequestError, PayloadTooLargeError } from "../errors";
import { parseOrThrow } from "../validation";

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a JSON body of at most `limit` bytes (counted as it streams, whatever Content-Length
 * claims) and validates it: too big → 413, not JSON → 400, invalid → 422 with every field issue.
 */
export async function readJsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
  limit = MAX_BODY_BYTES,
): Promise<z.output<S>> {
  const declared = Number(request.headers.get("content-length"));
  if (declared > limit) throw new PayloadTooLargeError(limit);
  const text = await readText(request, limit);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError("The request body is not valid JSON");
  }
  return parseOrThrow(schema, value);
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
      await reader.cancel();
      throw new PayloadTooLargeError(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
