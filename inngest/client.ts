import { Inngest } from "inngest";

/**
 * The app as Inngest knows it. Keys, dev mode and the server's URL are read by the SDK itself from
 * INNGEST_EVENT_KEY, INNGEST_SIGNING_KEY, INNGEST_DEV and INNGEST_BASE_URL (see lib/env.ts).
 */
export const inngest = new Inngest({ id: "trusted-sites-webhooks" });
