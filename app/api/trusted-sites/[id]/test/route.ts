import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readNoFieldsBody } from "@/lib/http/read-json-body";
import { createDatabaseTokenStore } from "@/lib/oauth/token-store";
import { guardedFetch } from "@/lib/outbound/guarded-fetch";
import { secrets } from "@/lib/secrets";
import { testConnection } from "@/lib/trusted-sites/test-connection";

/** Test connection: sends one test message to the site now → the request as sent (redacted), the method's explanation, the answer. */
export const POST = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  // Takes no fields (no body, or {}): a request meant for another route sends nothing.
  await readNoFieldsBody(request);
  const db = await getDb();
  const box = secrets();
  const test = await testConnection({ db, box, fetch: guardedFetch, tokens: createDatabaseTokenStore(db, box) }, actor, params.id);
  return NextResponse.json(test);
});
