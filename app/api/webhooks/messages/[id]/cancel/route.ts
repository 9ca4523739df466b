import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { cancelMessage } from "@/lib/delivery/operator/cancel-message";
import { announceMessageFinished } from "@/lib/delivery/engine";
import { apiRoute } from "@/lib/http/api-route";

/** Cancels a paused message (its site is inactive) → 200 `{id, status: "failed", error}`; not paused → 409; unknown → 404. */
export const POST = apiRoute<{ id: string }>(async ({ actor, params }) => {
  const cancelled = await cancelMessage(await getDb(), params.id, actor);
  await announceMessageFinished(cancelled.id);
  return NextResponse.json(cancelled);
});
