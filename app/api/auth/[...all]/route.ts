import { getBackofficeAuth } from "@/lib/backoffice-auth";

// better-auth's own endpoints (sign-in, sign-out, session): rate-limited and origin-checked by it.
async function handle(request: Request) {
  return (await getBackofficeAuth()).handler(request);
}

export { handle as GET, handle as POST };
