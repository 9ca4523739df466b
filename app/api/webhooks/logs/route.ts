import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { listAttemptLogs } from "@/lib/webhooks/read-messages";
import { apiRoute } from "@/lib/http/api-route";

/** Attempts, newest first: `?status&siteId&customerId&action&from&to&cursor&limit` → `{items, nextCursor}`. */
export const GET = apiRoute(async ({ request }) =>
  NextResponse.json(await listAttemptLogs(await getDb(), Object.fromEntries(new URL(request.url).searchParams))),
);
