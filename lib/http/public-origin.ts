import { readEnv } from "../env";

/** The origin users reach the app at: APP_URL when set, else the request's own host. */
export function publicOrigin(headers: Headers): string {
  const configured = readEnv().APP_URL;
  if (configured) return new URL(configured).origin;
  const host = headers.get("x-forwarded-host") ?? headers.get("host") ?? "localhost:3000";
  const proto = headers.get("x-forwarded-proto") ?? "http";
  return `${proto}://${host}`;
}
