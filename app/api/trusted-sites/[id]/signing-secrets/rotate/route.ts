import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";
import { secrets } from "@/lib/secrets";
import { rotateSigningSecret } from "@/lib/signing-secrets/manage-signing-secrets";

/** `{overlapHours?}` (default 24): a new secret signs beside the current one until the overlap ends → 201 `{secret, secrets}`. */
export const POST = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const input = await readJsonBody(request, z.unknown());
  return NextResponse.json(await rotateSigningSecret(await getDb(), secrets(), actor, params.id, input), { status: 201 });
});
