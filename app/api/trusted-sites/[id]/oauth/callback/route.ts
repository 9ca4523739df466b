import { getDb } from "@/lib/db";
import { errorResponse } from "@/lib/http/api-route";
import { publicOrigin } from "@/lib/http/public-origin";
import { completeConnect } from "@/lib/oauth/callback-exchange";
import { guardedFetch } from "@/lib/outbound/guarded-fetch";
import { secrets } from "@/lib/secrets";

/**
 * The Redirect URL registered with the provider. Public (the provider sends the browser here); the
 * one-time `state` is what authenticates it. Either way the browser goes on to a page: the site
 * page once connected, otherwise a page saying in plain words what went wrong.
 */
export async function GET(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const { id } = await context.params;
    const url = new URL(request.url);
    const outcome = await completeConnect(await getDb(), secrets(), id, url.searchParams, { fetch: guardedFetch });
    const origin = publicOrigin(request.headers);
    if (outcome.connected) return seeOther(new URL(`/trusted-sites/${id}`, origin));
    const result = new URL("/oauth-result", origin);
    result.searchParams.set("problem", outcome.problem.code);
    if (outcome.problem.oauthError) result.searchParams.set("error", outcome.problem.oauthError);
    result.searchParams.set("site", id);
    return seeOther(result);
  } catch (error) {
    return errorResponse(error, request);
  }
}

function seeOther(location: URL): Response {
  return new Response(null, { status: 303, headers: { location: location.href, "cache-control": "no-store" } });
}
