import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { refreshSiteToken } from "@/lib/oauth/refresh-site-token";
import { guardedFetch } from "@/lib/outbound/guarded-fetch";
import { secrets } from "@/lib/secrets";

/** Exchanges the site's refresh token for a new access token now → `{expiresAt}`. */
export const POST = apiRoute<{ id: string }>(async ({ params }) => {
  const { expiresAt } = await refreshSiteToken(await getDb(), secrets(), params.id, { fetch: guardedFetch });
  return NextResponse.json({ connected: true, expiresAt: expiresAt.toISOString() });
});
