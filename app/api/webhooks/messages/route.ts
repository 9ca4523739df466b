import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { queueMessage } from "@/lib/delivery/engine";
import { messageInputSchema } from "@/lib/delivery/message-input";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";

/**
 * The Webhook message node's trigger: 202 `{id, status}` for a new message; for a repeated
 * idempotency key, 200 with the first message's id and current status.
 */
export const POST = apiRoute(async ({ request }) => {
  const input = await readJsonBody(request, messageInputSchema);
  const { id, status, created } = await queueMessage(await getDb(), input);
  return NextResponse.json({ id, status }, { status: created ? 202 : 200 });
});
