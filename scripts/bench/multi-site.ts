import { deliveryRound, type DeliveryRound } from "./delivery-round";
import type { BenchDatabase } from "./bench-database";
import type { LoopbackReceiver } from "./loopback-receiver";

const SITES = Number(process.env.BENCH_MULTI_SITES ?? 100);
const PER_SITE = Number(process.env.BENCH_MULTI_PER_SITE ?? 20);

/**
 * Many sites against one: SITES × PER_SITE messages (each site its own pacing row and thread slots,
 * 50 threads) against the same number to one site of 50 threads, in alternating rounds (ABBA) in the
 * worker already running, so a load change on the shared machine weighs on both alike.
 */
export async function measureMultiSite(
  database: BenchDatabase,
  receiver: LoopbackReceiver,
  customerId: string,
  row: (measure: string, result: string, target?: string) => void,
  threads: number,
) {
  const total = SITES * PER_SITE;
  const one: DeliveryRound[] = [];
  const many: DeliveryRound[] = [];
  let round = 0;
  // An uncounted round first: a worker fresh from start-up (BENCH_PHASES=multi-site) delivers its first messages cold.
  await deliveryRound(database, receiver, customerId, "/multi-site-warm-up", { sites: 1, perSite: total, threads });
  for (const spread of [false, true, true, false]) {
    const pathName = `/multi-site-${++round}`;
    const result = await deliveryRound(database, receiver, customerId, pathName, spread ? { sites: SITES, perSite: PER_SITE, threads } : { sites: 1, perSite: total, threads });
    (spread ? many : one).push(result);
    console.error(`  ${spread ? `${SITES} sites` : "1 site"}: ${result.rate.toFixed(0)} /s`);
  }
  const mean = (rounds: DeliveryRound[]) => rounds.reduce((sum, r) => sum + r.rate, 0) / rounds.length;
  const bad = [...one, ...many].filter((r) => !r.ok);
  row(`6. ${total} messages to ${SITES} sites × ${PER_SITE} (mean of 2)`, `${mean(many).toFixed(0)} /s`);
  row(`6. ${total} messages to 1 site (mean of 2, alternating ABBA)`, `${mean(one).toFixed(0)} /s`);
  row(`6. ${SITES} sites / 1 site throughput`, (mean(many) / mean(one)).toFixed(2), "≥ 1.00");
  row("6. check: every attempt logged done, each message received once", bad.length ? bad.map((r) => r.check).join("; ") : `all 4 rounds ok (${many[0]!.check})`);
}
