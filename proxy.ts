import { getSessionCookie } from "better-auth/cookies";
import { NextResponse, type NextRequest } from "next/server";

/**
 * Sends visitors without a session cookie to the sign-in page before any backoffice page renders.
 * Only a fast first check: the backoffice layout validates the session itself, and API routes
 * authenticate every request (they answer 401, never a redirect).
 */
export function proxy(request: NextRequest) {
  if (getSessionCookie(request)) return NextResponse.next();
  const signIn = new URL("/sign-in", request.url);
  const next = request.nextUrl.pathname + request.nextUrl.search;
  if (next !== "/") signIn.searchParams.set("next", next);
  return NextResponse.redirect(signIn);
}

export const config = {
  matcher: ["/((?!api/|_next/|sign-in|icon.svg|favicon.ico).*)"],
};
