import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";
import { setWorkflowStatus } from "@/lib/workflows/set-workflow-status";

/** `{status: "active" | "inactive"}`: only active workflows run. */
export const POST = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const input = await readJsonBody(request, z.unknown());
  return NextResponse.json(await setWorkflowStatus(await getDb(), actor, params.id, input));
});
