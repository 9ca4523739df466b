/**
 * Runs once when the Next.js server starts, before it serves requests. The Node.js part brings up
 * the database; it lives in its own module so the Edge bundle never sees Node APIs.
 */
export async function register() {
  // Not during `next build`: pages that read the database opt out of prerendering.
  if (process.env.NEXT_RUNTIME === "nodejs" && process.env.NEXT_PHASE !== "phase-production-build") {
    const { startServerDatabase } = await import("./lib/db/server-start");
    await startServerDatabase();
  }
}
