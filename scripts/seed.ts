/**
 * `npm run db:seed`: the sample customers. `npm run db:seed -- --attempts N`: also a delivery history
 * of exactly N attempts (lib/delivery/seed-deliveries.ts), refused when one is already present;
 * `--days D` spreads it over the last D days (default 30, at most 89).
 */
import { parseArgs } from "node:util";
import { seedCustomers } from "../lib/db/seed";
import { MAX_HISTORY_DAYS, seedDeliveryHistory, SeedDataPresentError } from "../lib/delivery/seed-deliveries";
import { startDatabase } from "../lib/db/start";
import { runCli } from "./cli";

const { values } = parseArgs({ options: { attempts: { type: "string" }, days: { type: "string" } } });
const days = values.days === undefined ? undefined : Number(values.days);
if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= MAX_HISTORY_DAYS)) {
  console.error(`error: --days must be a whole number from 1 to ${MAX_HISTORY_DAYS}, not "${values.days}"`);
  process.exit(1);
}
const attempts = values.attempts === undefined ? undefined : Number(values.attempts.replaceAll("_", ""));
if (attempts !== undefined && !(Number.isInteger(attempts) && attempts > 0)) {
  console.error(`error: --attempts must be a positive whole number, not "${values.attempts}"`);
  process.exit(1);
}

await runCli(async () => {
  const database = await startDatabase();
  let seeded = true;
  try {
    const added = await seedCustomers(database.db);
    console.log(added ? `Added ${added} sample customers.` : "Sample customers already present.");
    if (attempts) seeded = await seedHistory(database.db, attempts);
  } finally {
    await database.close();
    await database.embedded?.stop();
  }
  if (!seeded) process.exit(1);
});

async function seedHistory(db: Parameters<typeof seedDeliveryHistory>[0], attempts: number): Promise<boolean> {
  const started = performance.now();
  console.log(`Seeding a delivery history of ${attempts.toLocaleString("en")} attempts…`);
  try {
    const seeded = await seedDeliveryHistory(db, {
      attempts,
      days,
      onProgress: ({ step, rows, ms }) =>
        console.log(`  ${step.padEnd(16)} ${rows ? rows.toLocaleString("en").padStart(10) : "".padStart(10)}  ${(ms / 1000).toFixed(1)} s`),
    });
    console.log(
      `Seeded ${seeded.sites} sites, ${seeded.customers} customers, ${seeded.messages.toLocaleString("en")} messages and ` +
        `${seeded.attempts.toLocaleString("en")} attempts in ${((performance.now() - started) / 1000).toFixed(1)} s.`,
    );
  } catch (e) {
    if (!(e instanceof SeedDataPresentError)) throw e;
    console.error(`error: ${e.message}`);
    return false;
  }
  return true;
}
