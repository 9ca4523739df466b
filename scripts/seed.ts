import { seedCustomers } from "../lib/db/seed";
import { startDatabase } from "../lib/db/start";
import { runCli } from "./cli";

await runCli(async () => {
  const database = await startDatabase();
  const added = await seedCustomers(database.db);
  console.log(added ? `Added ${added} sample customers.` : "Sample customers already present.");
  await database.close();
  await database.embedded?.stop();
});
