import { NextResponse } from "next/server";
import { getBackofficeAuth } from "@/lib/backoffice-auth";
import { recordFailedSignIn, signInLocked } from "@/lib/backoffice-auth/sign-in-limit";
import { getDb } from "@/lib/db";

const MAX_SIGN_IN_BODY = 16_384;

// better-auth's own endpoints (sign-in, sign-out, session): origin-checked and rate-limited per
// client address by better-auth; failed sign-ins are also limited per account here.
async function handle(request: Request) {
  const auth = await getBackofficeAuth();
  if (request.method !== "POST" || !new URL(request.url).pathname.endsWith("/sign-in/email")) {
    return auth.handler(request);
  }
  if (Number(request.headers.get("content-length")) > MAX_SIGN_IN_BODY) {
    return NextResponse.json({ code: "PAYLOAD_TOO_LARGE", message: "Sign-in request too large" }, { status: 413 });
  }
  const email = await request
    .clone()
    .json()
    .then((body: { email?: unknown }) => (typeof body?.email === "string" ? body.email : ""))
    .catch(() => "");
  const db = await getDb();
  if (email && (await signInLocked(db, email))) {
    return NextResponse.json(
      { code: "TOO_MANY_REQUESTS", message: "Too many failed sign-ins for this account. Wait a minute." },
      { status: 429, headers: { "retry-after": "60" } },
    );
  }
  const response = await auth.handler(request);
  if (email && response.status === 401) await recordFailedSignIn(db, email);
  return response;
}

export { handle as GET, handle as POST };
