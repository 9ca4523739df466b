import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";
import { guardedFetch } from "@/lib/outbound/guarded-fetch";
import { secrets } from "@/lib/secrets";
import { testTokenEndpoint } from "@/lib/trusted-sites/test-token-endpoint";

/** `{authMethod, authParams, siteId?}` from the site form → the token response with its tokens redacted, or the error. Nothing is cached. */
export const POST = apiRoute(async ({ request }) => {
  const input = await readJsonBody(request, z.unknown());
  return NextResponse.json(await testTokenEndpoint({ db: await getDb(), box: secrets(), fetch: guardedFetch }, input));
});
