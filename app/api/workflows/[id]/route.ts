import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";
import { getWorkflow } from "@/lib/workflows/read-workflows";
import { updateWorkflow } from "@/lib/workflows/save-workflow";

export const GET = apiRoute<{ id: string }>(async ({ params }) => NextResponse.json(await getWorkflow(await getDb(), params.id)));

/** The whole definition again: saved as a new version (runs keep theirs). */
export const PATCH = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const input = await readJsonBody(request, z.unknown());
  return NextResponse.json(await updateWorkflow(await getDb(), actor, params.id, input));
});
