/**
 * Runs once when the Next.js server starts, before it serves requests. The Node.js part brings up
 * the database and, when OTEL_EXPORTER_OTLP_ENDPOINT is set, the tracing SDK; both live in their
 * own modules so the Edge bundle never sees Node APIs.
 */
export async function register() {
  // Not during `next build`: pages that read the database opt out of prerendering.
  if (process.env.NEXT_RUNTIME === "nodejs" && process.env.NEXT_PHASE !== "phase-production-build") {
    const { installSafeConsole } = await import("./lib/logging/safe-console");
    installSafeConsole();
    const { startServerDatabase } = await import("./lib/start-up/start-server");
    await startServerDatabase();
    // After the start-up above, which has validated the environment (and stops on a bad one).
    const [{ readEnv }, { startTracing }] = await Promise.all([import("./lib/env"), import("./lib/observability/start-tracing")]);
    startTracing(readEnv());
  }
}

/**
 * A page or route failed while rendering: one line with the route, the error id the error page
 * shows (Next.js's digest) and the error's classes (never its data; see lib/logging).
 */
export async function onRequestError(
  error: unknown,
  request: { method: string },
  context: { routePath: string; routeType: string },
) {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { describeError } = await import("./lib/logging/describe-error");
  const digest = (error as { digest?: unknown })?.digest;
  console.error(`error ${typeof digest === "string" ? digest : "?"} in ${request.method} ${context.routePath} (${context.routeType}): ${describeError(error)}`);
}
