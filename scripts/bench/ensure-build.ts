import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** Benches that run the app as users do (`next start`) need a production build: make one when there is none. */
export function ensureBuild() {
  if (fs.existsSync(path.resolve(".next/BUILD_ID"))) return;
  console.error("bench: no production build (.next/BUILD_ID): running npm run build");
  const built = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
  if (built.status !== 0) throw new Error(`npm run build exited ${built.status}`);
}
