import { NextResponse } from "next/server";
import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest";
import { readEnv } from "@/lib/env";

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
