import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readMetrics } from "@/lib/observability/read-metrics";

/** Prometheus scrape endpoint (text exposition); authenticated like every API route, with an API token. */
export const GET = apiRoute(async () => {
  const { contentType, text } = await readMetrics(await getDb());
  return new Response(text, { headers: { "content-type": contentType, "cache-control": "no-store" } });
});
