/**
 * Cost per request of each authentication method (`npm run bench:auth`): signing with a fixed
 * configuration, and, for the OAuth methods, a send that reuses the cached token. Single process,
 * one core busy; numbers are per authorize() call.
 */
import { performance } from "node:perf_hooks";
import { authMethods } from "../lib/auth-methods/registry";
import type { AuthMethodModule } from "../lib/auth-methods/types";
import { authMethodFixtures, fixedContext, sampleRequest } from "../tests/helpers/auth-fixtures";

const DURATION_MS = Number(process.env.BENCH_MS ?? 1500);

async function measure(run: () => Promise<unknown>) {
  for (let i = 0; i < 200; i++) await run(); // warm-up (JIT, key import caches)
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < DURATION_MS) {
    await run();
    n++;
  }
  const elapsed = performance.now() - start;
  return { perOpUs: (elapsed * 1000) / n, opsPerSec: (n / elapsed) * 1000 };
}

const rows: { method: string; "µs / request": string; "requests / s": string }[] = [];
for (const method of Object.values(authMethods) as unknown as AuthMethodModule<Record<string, unknown>>[]) {
  const params = method.schema.parse(authMethodFixtures[method.method].valid);
  const ctx = fixedContext({ now: () => new Date() });
  const { perOpUs, opsPerSec } = await measure(() => method.authorize(sampleRequest(), params, ctx));
  rows.push({ method: method.method, "µs / request": perOpUs.toFixed(1), "requests / s": Math.round(opsPerSec).toLocaleString("en") });
}
console.log(`authorize() cost per request (token methods: cached token reused), ${DURATION_MS} ms per method`);
console.table(rows);
