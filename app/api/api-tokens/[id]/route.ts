import { NextResponse } from "next/server";
import { revokeApiToken } from "@/lib/api-tokens/manage-api-tokens";
import { requireSignedInUser } from "@/lib/backoffice-auth/actor";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";

/** Revokes the token: it stops working at once and stays listed as revoked. */
export const DELETE = apiRoute<{ id: string }>(async ({ params, actor }) => {
  requireSignedInUser(actor, "revoke API tokens");
  return NextResponse.json(await revokeApiToken(await getDb(), params.id));
});
