import { parseArgs } from "node:util";
import { createBackofficeAuth } from "../lib/backoffice-auth/auth";
import { createUser, newUserSchema } from "../lib/backoffice-auth/create-user";
import { startDatabase } from "../lib/db/start";
import { AppError } from "../lib/errors";
import { runCli } from "./cli";

// npm run user:create -- --email ops@example.com --password '…' [--name "Ops"]
const { values } = parseArgs({
  options: { email: { type: "string" }, password: { type: "string" }, name: { type: "string" } },
});

await runCli(async () => {
  const input = newUserSchema.safeParse(values);
  if (!input.success) {
    console.error(`error: ${input.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    console.error("usage: npm run user:create -- --email you@example.com --password '<12+ characters>' [--name 'Your Name']");
    process.exit(2);
  }
  const database = await startDatabase();
  try {
    const user = await createUser(createBackofficeAuth(database.db), input.data);
    console.log(`Created backoffice user ${user.email}.`);
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    console.error(`error: ${e.message}`);
    process.exitCode = 1;
  } finally {
    await database.close();
    await database.embedded?.stop();
  }
  if (process.exitCode) process.exit(process.exitCode);
});
