import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest";

/** Inngest's endpoint: authenticated by Inngest's request signature (INNGEST_SIGNING_KEY), not a session (DESIGN §9). */
export const { GET, POST, PUT } = serve({ client: inngest, functions });
