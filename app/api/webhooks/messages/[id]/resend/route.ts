import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { resendMessage } from "@/lib/delivery/operator/resend-message";
import { apiRoute } from "@/lib/http/api-route";

/** Resends a done or failed message as a new one → 202 `{id, status, resentFromMessageId}`; in flight or site not active → 409. */
export const POST = apiRoute<{ id: string }>(async ({ actor, params }) =>
  NextResponse.json(await resendMessage(await getDb(), params.id, actor), { status: 202 }),
);
