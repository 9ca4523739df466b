import { getSessionCookie } from "better-auth/cookies";
import { NextResponse, type NextRequest } from "next/server";

/**
 * Runs before routing. A path with a broken %-escape (`/api/trusted-sites/%ZZ`) is answered here:
 * Next.js would fail to decode its parameters and answer 500 before any route ran. Then visitors
 * without a session cookie go to the sign-in page — only a fast first check: every page validates
 * the session itself, and API routes authenticate every request (401, never a redirect).
 */
export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (pathname.startsWith("/api/")) {
    return decodes(pathname)
      ? NextResponse.next()
      : NextResponse.json({ error: "The URL path has a broken %-escape", code: "bad_request" }, { status: 400 });
  }
  if (getSessionCookie(request)) {
    return decodes(pathname) ? NextResponse.next() : NextResponse.rewrite(new URL("/_not-found", request.url), { status: 404 });
  }
  const signIn = new URL("/sign-in", request.url);
  const next = pathname + search;
  if (next !== "/") signIn.searchParams.set("next", next);
  return NextResponse.redirect(signIn);
}

function decodes(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

export const config = {
  // API requests pass through here only when their path has a %-escape to check.
  matcher: ["/((?!api/|_next/|sign-in|icon.svg|favicon.ico).*)", "/api/:path(.*%.*)"],
};
