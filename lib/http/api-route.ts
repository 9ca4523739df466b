import { NextResponse } from "next/server";
import { authenticateRequest, type Actor } from "../backoffice-auth/actor";
import { AppError, ForbiddenError, UnauthorizedError } from "../errors";
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
 * API token (401), then runs `handler`; an AppError becomes its status with `{error, issues?}`,
 * anything else a 500 that reveals nothing.
 */
export function apiRoute<P = Record<string, never>>(handler: (req: ApiRequest<P>) => Promise<Response>) {
  return async (request: Request, context: RouteContext<P>): Promise<Response> => {
    try {
      if (isCrossOriginWrite(request)) throw new ForbiddenError("Cross-origin requests may not change data");
      const actor = await authenticateRequest(request.headers);
      if (!actor) throw new UnauthorizedError();
      return await handler({ request, actor, params: await context.params });
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export function errorResponse(error: unknown): Response {
  if (error instanceof AppError) {
    return NextResponse.json(
      { error: error.message, code: error.code, ...(error.issues ? { issues: error.issues } : {}) },
      { status: error.status },
    );
  }
  console.error("Unexpected error in API route:", error);
  return NextResponse.json({ error: "Something went wrong on our side. Try again.", code: "internal" }, { status: 500 });
}
