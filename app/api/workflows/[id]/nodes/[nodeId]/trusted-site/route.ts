import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";
import { saveLegacyNodeAsSite } from "@/lib/workflows/save-legacy-node-as-site";

/** `{name}` → 201, a draft trusted site with the saved legacy node's connection ("Save as trusted site"). */
export const POST = apiRoute<{ id: string; nodeId: string }>(async ({ request, actor, params }) => {
  const input = await readJsonBody(request, z.unknown());
  return NextResponse.json(await saveLegacyNodeAsSite(await getDb(), actor, params.id, params.nodeId, input), { status: 201 });
});
