import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readNoFieldsBody } from "@/lib/http/read-json-body";
import { secrets } from "@/lib/secrets";
import { disableSigning, enableSigning } from "@/lib/signing-secrets/manage-signing-secrets";
import { signingSecretViews } from "@/lib/signing-secrets/stored-signing-secret";
import { getSiteOrThrow } from "@/lib/trusted-sites/get-site";

/** The secrets that sign the site's requests now → `{secrets: [{id, prefix, createdAt, activeUntil}]}`. */
export const GET = apiRoute<{ id: string }>(async ({ params }) => {
  const site = await getSiteOrThrow(await getDb(), params.id);
  return NextResponse.json({ secrets: signingSecretViews(site.signingSecrets) });
});

/** Turns signing on → 201 `{secret, secrets}`; the secret (`whsec_…`) is in this answer only. */
export const POST = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  await readNoFieldsBody(request);
  return NextResponse.json(await enableSigning(await getDb(), secrets(), actor, params.id), { status: 201 });
});

/** Turns signing off at once → `{secrets: []}`. */
export const DELETE = apiRoute<{ id: string }>(async ({ actor, params }) =>
  NextResponse.json({ secrets: await disableSigning(await getDb(), actor, params.id) }),
);
