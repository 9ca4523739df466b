import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { getRun } from "@/lib/workflows/read-workflows";

/** One run with what each node did and the messages it made. */
export const GET = apiRoute<{ id: string }>(async ({ params }) => NextResponse.json(await getRun(await getDb(), params.id)));
