import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { listRuns } from "@/lib/workflows/read-workflows";

/** The workflow's latest runs, newest first. */
export const GET = apiRoute<{ id: string }>(async ({ params }) => NextResponse.json({ runs: await listRuns(await getDb(), params.id) }));
