import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { engineAnnouncer } from "@/lib/delivery/engine";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";
import { customerEventSchema } from "@/lib/workflows/event-input";
import { startRuns } from "@/lib/workflows/run-engine";

/** A customer event: starts the matching active workflows → 202 with their run ids (a repeated idempotency key starts nothing new). */
export const POST = apiRoute(async ({ request }) => {
  const event = await readJsonBody(request, customerEventSchema);
  const { customerId, runs } = await startRuns(await getDb(), event, engineAnnouncer());
  return NextResponse.json({ customerId, runs }, { status: 202 });
});
