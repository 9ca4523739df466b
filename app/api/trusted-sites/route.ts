import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";
import { secrets } from "@/lib/secrets";
import { createSite } from "@/lib/trusted-sites/create-site";
import { listSites } from "@/lib/trusted-sites/list-sites";

export const GET = apiRoute(async () => NextResponse.json({ sites: await listSites(await getDb()) }));

export const POST = apiRoute(async ({ request, actor }) => {
  const input = await readJsonBody(request, z.unknown());
  return NextResponse.json(await createSite(await getDb(), secrets(), actor, input), { status: 201 });
});
