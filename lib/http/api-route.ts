import { NextResponse } from "next/server";
import { authenticateRequest, type Actor } from "../backoffice-auth/actor";
import { isDatabaseOutage } from "../delivery/database-outage";
import { AppError, ForbiddenError, UnauthorizedError } from "../errors";
import { logUnexpectedError, routeLabel } from "../logging/log-error";
import { bodyLeftUnread } from "./read-json-body";
import { isCrossOriginWrite } from "./same-origin";

interface RouteContext<P> {
  params: Promise<P>;
}

export interface ApiRequest<P> {
  request: Request;
  actor: Actor;
  params: P;
}

/**
 * A JSON API route handler: refuses cross-origin writes (403) and requests without a session or
 * API token (401), then runs `handler`; errors become responses in `errorResponse`. A response to
 * a request whose body was left unread (too large) closes the connection.
 */
export function apiRoute<P = Record<string, never>>(handler: (req: ApiRequest<P>) => Promise<Response>) {
  return async (request: Request, context: RouteContext<P>): Promise<Response> => {
    const response = await answer(request, context);
    if (bodyLeftUnread(request)) response.headers.set("connection", "close");
    return response;
  };
  async function answer(request: Request, context: RouteContext<P>): Promise<Response> {
    try {
      if (isCrossOriginWrite(request)) throw new ForbiddenError("Cross-origin requests may not change data");
      const actor = await authenticateRequest(request.headers);
      if (!actor) throw new UnauthorizedError();
      return await handler({ request, actor, params: await context.params });
    } catch (error) {
      return errorResponse(error, request);
    }
  }
}

/** Seconds a client is told to wait while the database is unreachable (it usually comes back within seconds). */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/**
 * The one place errors become responses: an AppError its status with `{error, code, issues?}`; a
 * database outage 503 with Retry-After; anything else a 500 with an error id that matches the one
 * line the server log gets (which names the error's class, never its data).
 */
export function errorResponse(error: unknown, request: Request): Response {
  if (error instanceof AppError) {
    return NextResponse.json(
      { error: error.message, code: error.code, ...(error.issues ? { issues: error.issues } : {}) },
      { status: error.status },
    );
  }
  if (isDatabaseOutage(error)) {
    console.error(`database unavailable in ${routeLabel(request)}: answered 503`);
    return NextResponse.json(
      { error: `The database is unavailable right now. Try again in ${OUTAGE_RETRY_AFTER_SECONDS} seconds.`, code: "database_unavailable" },
      { status: 503, headers: { "retry-after": String(OUTAGE_RETRY_AFTER_SECONDS) } },
    );
  }
  const errorId = logUnexpectedError(routeLabel(request), error);
  return NextResponse.json(
    { error: `Something went wrong on our side. Try again; if it keeps failing, quote error ${errorId}.`, code: "internal", errorId },
    { status: 500 },
  );
}
