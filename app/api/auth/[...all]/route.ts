import { NextResponse } from "next/server";
import { getBackofficeAuth } from "@/lib/backoffice-auth";
import { signInAttemptAllowed } from "@/lib/backoffice-auth/sign-in-limit";
import { getDb } from "@/lib/db";

// better-auth's own endpoints (sign-in, sign-out, session): origin-checked and rate-limited per
// client address by better-auth; sign-in is also limited per account here.
async function handle(request: Request) {
  if (request.method === "POST" && new URL(request.url).pathname.endsWith("/sign-in/email")) {
    if (Number(request.headers.get("content-length")) > 16_384) {
      return NextResponse.json({ code: "PAYLOAD_TOO_LARGE", message: "Sign-in request too large" }, { status: 413 });
    }
    const email = await request
      .clone()
      .json()
      .then((body: { email?: unknown }) => (typeof body?.email === "string" ? body.email : ""))
      .catch(() => "");
    if (email && !(await signInAttemptAllowed(await getDb(), email))) {
      return NextResponse.json(
        { code: "TOO_MANY_REQUESTS", message: "Too many sign-in attempts for this account. Wait a minute." },
        { status: 429, headers: { "retry-after": "60" } },
      );
    }
  }
  return (await getBackofficeAuth()).handler(request);
}

export { handle as GET, handle as POST };
