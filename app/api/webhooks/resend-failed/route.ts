import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb } from "@/lib/db";
import { countFailedToResend, resendFailedMessages } from "@/lib/delivery/operator/resend-message";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";

/** How many failed messages a POST with this filter would resend: `?siteId&customerId&action&from&to` → `{count, capped, cap}`. */
export const GET = apiRoute(async ({ request }) =>
  NextResponse.json(await countFailedToResend(await getDb(), Object.fromEntries(new URL(request.url).searchParams))),
);

/** Resends the failed messages of a site matching `{siteId, customerId?, action?, from?, to?}` → 202 `{count, capped, cap}`. */
export const POST = apiRoute(async ({ request, actor }) => {
  const filter = await readJsonBody(request, z.unknown());
  return NextResponse.json(await resendFailedMessages(await getDb(), filter, actor), { status: 202 });
});
