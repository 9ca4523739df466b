import { unstable_rethrow } from "next/navigation";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { requireUser, type BackofficeUser } from "@/lib/backoffice-auth/current-user";
import { isDatabaseOutage } from "@/lib/delivery/database-outage";
import { DatabaseUnavailable } from "./database-unavailable";

/**
 * Wraps every backoffice page: the session is checked before the page reads anything (a forged or
 * expired cookie gets a redirect and no data, also on RSC requests that skip the layout), and a
 * database outage renders a plain "database unavailable" state instead of an error page. Pages with
 * ids in their path must not sit inside a loading boundary: a streamed page answers 200 even when
 * it turns out to be not found.
 */
export function backofficePage<P extends object>(render: (props: P & { user: BackofficeUser }) => Promise<ReactNode> | ReactNode) {
  return async function BackofficePage(props: P): Promise<ReactNode> {
    await connection();
    try {
      const user = await requireUser();
      return await render({ ...props, user });
    } catch (error) {
      unstable_rethrow(error);
      if (isDatabaseOutage(error)) return <DatabaseUnavailable />;
      throw error;
    }
  };
}
