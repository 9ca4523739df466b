import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** Routes that authenticate differently: better-auth's own, the OAuth callback, Inngest's signed endpoint. */
const SELF_AUTHENTICATED = [/^\/api\/auth\//, /\/oauth\/callback$/, /^\/api\/inngest$/];

/**
 * Every API route in app/api with the methods it exports, dynamic segments filled in, so a test
 * can prove each one refuses anonymous requests — including routes added after the test.
 */
export function protectedApiRoutes(): { method: string; path: string }[] {
  const root = path.resolve("app/api");
  const routes: { method: string; path: string }[] = [];
  for (const file of readdirSync(root, { recursive: true, encoding: "utf8" })) {
    if (!/(^|\/)route\.ts$/.test(file)) continue;
    const urlPath =
      "/api/" +
      path
        .dirname(file)
        .split(path.sep)
        .filter((s) => s !== ".")
        .map((s) => (s.startsWith("[") ? "00000000-0000-4000-8000-000000000000" : s))
        .join("/");
    if (SELF_AUTHENTICATED.some((re) => re.test(urlPath.replace(/\/$/, "")))) continue;
    const source = readFileSync(path.join(root, file), "utf8");
    const methods = new Set(
      [...source.matchAll(/export (?:const|async function|function) (GET|POST|PUT|PATCH|DELETE)\b/g)].map((m) => m[1]!),
    );
    for (const m of source.matchAll(/\bas (GET|POST|PUT|PATCH|DELETE)\b/g)) methods.add(m[1]!);
    for (const method of methods) routes.push({ method, path: urlPath.replace(/\/$/, "") });
  }
  return routes;
}
