import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { refreshSiteToken } from "@/lib/oauth/refresh-site-token";
import { guardedFetch } from "@/lib/outbound/guarded-fetch";
import { secrets } from "@/lib/secrets";

/**
 * Gets the site a new access token now → `{expiresAt}`: the refresh-token exchange for `oauth2`, a
 * new token request for the client-credentials and private-key methods. Audited.
 */
export const POST = apiRoute<{ id: string }>(async ({ params, actor }) => {
  const { expiresAt } = await refreshSiteToken(await getDb(), secrets(), params.id, { fetch: guardedFetch, actor });
  return NextResponse.json({ connected: true, expiresAt: expiresAt.toISOString() });
});
