import { NextResponse } from "next/server";
import { createApiToken, listApiTokens } from "@/lib/api-tokens/manage-api-tokens";
import { newApiTokenSchema } from "@/lib/api-tokens/schema";
import { requireSignedInUser } from "@/lib/backoffice-auth/actor";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";

export const GET = apiRoute(async () => NextResponse.json({ tokens: await listApiTokens(await getDb()) }));

export const POST = apiRoute(async ({ request, actor }) => {
  const user = requireSignedInUser(actor, "create API tokens");
  const input = await readJsonBody(request, newApiTokenSchema);
  const created = await createApiToken(await getDb(), input, user.userId);
  return NextResponse.json(created, { status: 201 });
});
