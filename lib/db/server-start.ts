import { getDatabase } from ".";

/**
 * Starts the database when the web server starts (embedded PostgreSQL unless DATABASE_URL is
 * set) and applies migrations; a broken configuration stops the server with one clear line.
 */
export async function startServerDatabase(): Promise<void> {
  try {
    await getDatabase();
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  }
}
