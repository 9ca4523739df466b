import { sql } from "drizzle-orm";
import type { Database } from "../db";

/**
 * The distinct actions the Logs have seen, for the action filter: a loose index scan over
 * `webhook_attempts_action_idx` (one index probe per distinct action, not a scan of the attempts).
 */
export async function seenActions(db: Database, limit = 200): Promise<string[]> {
  const rows = await db.execute<{ action: string }>(sql`
    with recursive seen(action) as (
      (select action from webhook_attempts order by action limit 1)
      union all
      select (select a.action from webhook_attempts a where a.action > seen.action order by a.action limit 1)
      from seen where seen.action is not null
    )
    select action from seen where action is not null limit ${limit}`);
  return rows.map((r) => r.action);
}
