import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getBackofficeAuth } from ".";

export type BackofficeUser = { id: string; email: string; name: string };

/**
 * The signed-in backoffice user of this page request, validated against the session store, or a
 * redirect to the sign-in page. Every page calls it itself (through `backofficePage`): a layout's
 * redirect does not stop the page segments rendered alongside it from streaming their data.
 */
export async function requireUser(): Promise<BackofficeUser> {
  const session = await (await getBackofficeAuth()).api.getSession({ headers: await headers() });
  if (!session) redirect("/sign-in");
  return { id: session.user.id, email: session.user.email, name: session.user.name };
}
