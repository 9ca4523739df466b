import { startDatabase } from "../lib/db/start";
import { runCli } from "./cli";

await runCli(async () => {
  const database = await startDatabase(); // applies pending migrations
  console.log("Database is up to date.");
  await database.close();
  await database.embedded?.stop();
});
