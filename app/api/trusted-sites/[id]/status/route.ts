import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";
import { setSiteStatus } from "@/lib/trusted-sites/set-site-status";

/** `{status: "active" | "inactive"}`: activate or deactivate the site. */
export const POST = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const input = await readJsonBody(request, z.unknown());
  return NextResponse.json(await setSiteStatus(await getDb(), actor, params.id, input));
});
