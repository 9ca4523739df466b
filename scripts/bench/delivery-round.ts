import type { LoopbackReceiver } from "./loopback-receiver";
import { inFlightOf, watchForStall } from "./stall-report";
import { attemptsByStatus, insertBenchSite, queueMany, type BenchDatabase } from "./bench-database";

/** What one round delivered: the rate, and whether every message was logged done and received exactly once. */
export interface DeliveryRound {
  rate: number;
  check: string;
  ok: boolean;
}

/**
 * One round of the bench's multi-site and two-worker phases: `sites` new sites (100,000 rps, `threads`
 * each) posting to `pathName`, `perSite` messages queued to each up front, timed until none is in
 * flight. The receiver counts per Webhook-Id, so a message sent twice (by one worker or two) shows.
 */
export async function deliveryRound(
  database: BenchDatabase,
  receiver: LoopbackReceiver,
  customerId: string,
  pathName: string,
  { sites, perSite, threads }: { sites: number; perSite: number; threads: number },
  workerOutputs: (() => string)[] = [],
): Promise<DeliveryRound> {
  const siteIds: string[] = [];
  for (let i = 0; i < sites; i++) siteIds.push(await insertBenchSite(database.db, `${receiver.url}${pathName}`, 100_000, threads));
  const total = sites * perSite;
  const started = Date.now();
  const stopWatch = watchForStall(database.db, siteIds, pathName, workerOutputs);
  for (const siteId of siteIds) await queueMany(database.db, siteId, customerId, perSite);
  const deadline = Date.now() + 240_000;
  try {
    for (;;) {
      const left = await inFlightOf(database.db, siteIds);
      if (left === 0) break;
      if (Date.now() > deadline) throw new Error(`${pathName}: ${left} messages still in flight after 240 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    stopWatch();
  }
  const elapsedMs = Date.now() - started;
  const attempts = await attemptsByStatus(database.db, siteIds);
  const ids = receiver.ids(pathName);
  const distinct = new Set(ids).size;
  return {
    rate: (total / elapsedMs) * 1000,
    check: `attempts ${JSON.stringify(attempts)}, received ${ids.length}, distinct ${distinct}`,
    ok: attempts.done === total && Object.keys(attempts).length === 1 && ids.length === total && distinct === total,
  };
}
