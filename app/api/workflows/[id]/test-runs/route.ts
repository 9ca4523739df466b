import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { engineAnnouncer } from "@/lib/delivery/engine";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";
import { testEventSchema } from "@/lib/workflows/event-input";
import { startTestRun } from "@/lib/workflows/run-engine";

/** Send test event: runs the latest version now (draft or active) → 202 `{run}`; `{run: null, reason}` when the trigger's conditions do not hold. */
export const POST = apiRoute<{ id: string }>(async ({ request, params }) => {
  const test = await readJsonBody(request, testEventSchema);
  const run = await startTestRun(await getDb(), params.id, test, engineAnnouncer());
  return run
    ? NextResponse.json({ run }, { status: 202 })
    : NextResponse.json({ run: null, reason: "The trigger's conditions do not hold for this event: nothing ran" }, { status: 200 });
});
