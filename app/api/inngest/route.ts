import { NextResponse } from "next/server";
import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest";
import { readEnv } from "@/lib/env";

/**
 * What the host may let one request run, in seconds (Vercel reads it at build time, so it must be a
 * literal): ROUTE_MAX_DURATION_S of lib/inngest/step-budget.ts, the ceiling of INNGEST_STEP_MAX_MS
 * (a test keeps the two equal). Steps and checkpointing are bounded below INNGEST_STEP_MAX_MS.
 */
export const maxDuration = 300;

/** Inngest's endpoint: authenticated by Inngest's request signature (INNGEST_SIGNING_KEY), not a session (DESIGN §9). */
const handlers = serve({ client: inngest, functions });

type Handler = (typeof handlers)["GET"];

/**
 * With the local engine the endpoint does not exist: an Inngest app synced to it by mistake would
 * otherwise run deliveries and sweeps alongside the local workers.
 */
function onlyWithInngest(handler: Handler): Handler {
  return async (...args) => {
    if (readEnv().WEBHOOK_ENGINE !== "inngest") {
      return NextResponse.json({ error: "Deliveries run on the local engine here (WEBHOOK_ENGINE=local)" }, { status: 404 });
    }
    return handler(...args);
  };
}

export const GET = onlyWithInngest(handlers.GET);
export const POST = onlyWithInngest(handlers.POST);
export const PUT = onlyWithInngest(handlers.PUT);
