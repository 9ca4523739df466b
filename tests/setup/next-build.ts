import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Browser tests run against the production build; build it when it is missing (CI builds first). */
export default function setup() {
  if (existsSync(".next/BUILD_ID")) return;
  const result = spawnSync("npx", ["next", "build"], {
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) throw new Error("next build failed");
}
