import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getBackofficeAuth } from ".";

/** The signed-in backoffice user of this page request, or a redirect to the sign-in page. */
export async function requireUser() {
  const session = await (await getBackofficeAuth()).api.getSession({ headers: await headers() });
  if (!session) redirect("/sign-in");
  return session.user;
}
