import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";
import { listWorkflows } from "@/lib/workflows/read-workflows";
import { createWorkflow } from "@/lib/workflows/save-workflow";

export const GET = apiRoute(async () => NextResponse.json({ workflows: await listWorkflows(await getDb()) }));

/** `{name, description?, trigger: {event, conditions?}, graph: {nodes, edges}}` → 201, a draft with version 1. */
export const POST = apiRoute(async ({ request, actor }) => {
  const input = await readJsonBody(request, z.unknown());
  return NextResponse.json(await createWorkflow(await getDb(), actor, input), { status: 201 });
});
