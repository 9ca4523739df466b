import { ConfigError } from "../lib/env";
import { DatabaseUnavailableError } from "../lib/db/start";
import { installSafeConsole } from "../lib/logging/safe-console";

/** Runs a command-line task; known start-up problems end it with one clear line, not a stack trace. */
export async function runCli(task: () => Promise<void>): Promise<void> {
  installSafeConsole();
  try {
    await task();
    process.exit(0);
  } catch (e) {
    if (e instanceof DatabaseUnavailableError || e instanceof ConfigError) {
      console.error(`error: ${e.message}`);
    } else {
      console.error(e);
    }
    process.exit(1);
  }
}
