import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";
import { secrets } from "@/lib/secrets";
import { createSite } from "@/lib/trusted-sites/create-site";
import { listSites } from "@/lib/trusted-sites/list-sites";
import { parseOrThrow } from "@/lib/validation";

const listQuerySchema = z.object({ status: z.enum(["draft", "active", "inactive"]).optional() });

/** `?status=active` is what a Webhook message node's dropdown offers. */
export const GET = apiRoute(async ({ request }) => {
  const query = parseOrThrow(listQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  return NextResponse.json({ sites: await listSites(await getDb(), query) });
});

export const POST = apiRoute(async ({ request, actor }) => {
  const input = await readJsonBody(request, z.unknown());
  return NextResponse.json(await createSite(await getDb(), secrets(), actor, input), { status: 201 });
});
