import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * A random local secret kept in a file (mode 600), created on first use: the development default
 * for keys that production sets in the environment. Safe when several processes race to create it.
 */
export function readOrCreateKeyFile(file: string, bytes = 32): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    mkdirSync(path.dirname(file), { recursive: true });
    const value = randomBytes(bytes).toString("base64");
    try {
      writeFileSync(file, value + "\n", { mode: 0o600, flag: "wx" });
      return value;
    } catch {
      return readFileSync(file, "utf8").trim(); // another process created it first
    }
  }
}
