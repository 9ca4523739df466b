import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { listRuns } from "@/lib/workflows/read-workflows";

/** The workflow's runs, newest first: `?cursor&limit` → `{runs, nextCursor}`. */
export const GET = apiRoute<{ id: string }>(async ({ request, params }) =>
  NextResponse.json(await listRuns(await getDb(), params.id, Object.fromEntries(new URL(request.url).searchParams))),
);
