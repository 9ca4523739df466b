import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { getMessage } from "@/lib/webhooks/read-messages";
import { apiRoute } from "@/lib/http/api-route";

export const GET = apiRoute<{ id: string }>(async ({ params }) => NextResponse.json(await getMessage(await getDb(), params.id)));
