import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { listInFlight } from "@/lib/webhooks/read-messages";
import { apiRoute } from "@/lib/http/api-route";

/** Messages in flight, newest first: `?cursor&limit` → `{items, nextCursor}`. */
export const GET = apiRoute(async ({ request }) =>
  NextResponse.json(await listInFlight(await getDb(), Object.fromEntries(new URL(request.url).searchParams))),
);
