import { getDatabase } from ".";
import { getBackofficeAuth } from "../backoffice-auth";
import { provisionFirstUser } from "../backoffice-auth/first-user";
import { readEnv } from "../env";
import { secrets } from "../secrets";

/**
 * Starts the database when the web server starts (embedded PostgreSQL unless DATABASE_URL is
 * set), applies migrations and makes sure a first user exists; a broken configuration stops the
 * server with one clear line.
 */
export async function startServerDatabase(): Promise<void> {
  try {
    const env = readEnv();
    secrets(); // a malformed APP_ENCRYPTION_KEY stops start-up here, not at the first save
    await getDatabase();
    const note = await provisionFirstUser(await getBackofficeAuth(), env);
    if (note) console.log(note);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  }
}
