import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { publicOrigin } from "@/lib/http/public-origin";
import { startConnect } from "@/lib/oauth/connect-site";
import { secrets } from "@/lib/secrets";

/** Connect: 302 to the site's authorization URL, with a one-time state and PKCE (DESIGN §8). */
export const GET = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const target = await startConnect(await getDb(), secrets(), {
    siteId: params.id,
    origin: publicOrigin(request.headers),
    actor,
  });
  return new Response(null, { status: 302, headers: { location: target.href, "cache-control": "no-store" } });
});
