import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { retryMessageNow } from "@/lib/delivery/operator/retry-message-now";
import { apiRoute } from "@/lib/http/api-route";

/** Makes a message waiting to be resent due now → 200 `{id, status: "resent", attemptNo, nextAttemptAt}`; done, failed, queued, being sent or paused → 409; unknown → 404. */
export const POST = apiRoute<{ id: string }>(async ({ actor, params }) =>
  NextResponse.json(await retryMessageNow(await getDb(), params.id, actor)),
);
