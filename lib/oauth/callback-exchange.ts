import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { AuthorizationError } from "@/lib/auth-methods/types";
import type { Database } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { SecretBox } from "@/lib/secrets";
import { cleanOAuthError, type CallbackProblem, type CallbackProblemCode } from "./callback-problems";
import { loadOAuth2Site } from "./oauth2-site";
import { consumePendingAuthorization } from "./pending-authorization";
import { expiresAtFrom } from "./token-freshness";
import { requestToken } from "./token-request";
import { createDatabaseTokenStore } from "./token-store";

/** As for refreshed tokens (lib/auth-methods/oauth2.ts): a token without expires_in is used for an hour. */
const DEFAULT_LIFETIME_SECONDS = 3600;

export interface CallbackContext {
  /** Outbound HTTP to the token URL: the app's guarded fetch. */
  fetch: typeof fetch;
  now?: () => Date;
}

export type CallbackOutcome = { connected: true } | { connected: false; problem: CallbackProblem };

/**
 * The provider sent the user back to the site's Redirect URL (RFC 6749 §4.1.2). Checks the one-time
 * state against the Connect that started here, then exchanges the code at the token URL
 * (client_secret_basic, with the PKCE code verifier) and stores the tokens with the site, encrypted.
 * Nothing is stored unless every check passes (a failed exchange is recorded in the token health).
 */
export async function completeConnect(
  db: Database,
  box: SecretBox,
  siteId: string,
  query: URLSearchParams,
  ctx: CallbackContext,
): Promise<CallbackOutcome> {
  const now = ctx.now?.() ?? new Date();
  const state = query.get("state");
  if (!state) return failed("missing_state");
  const consumed = await consumePendingAuthorization(db, box, state, now);
  if (!consumed.found) return failed("unknown_state");
  const { pending } = consumed;
  if (pending.siteId !== siteId) return failed("wrong_site");
  if (consumed.expired) return failed("expired_state");
  if (query.has("error")) return failed("provider_error", cleanOAuthError(query.get("error")));
  const code = query.get("code");
  if (!code) return failed("missing_code");

  let params;
  try {
    ({ params } = await loadOAuth2Site(db, box, siteId));
  } catch (error) {
    if (error instanceof AppError) return failed("site_unavailable");
    throw error;
  }

  // Through the site's token store, as every fetch: under its lock, recorded in the site's token health.
  try {
    await createDatabaseTokenStore(db, box, { now: () => now }).replace(
      siteId,
      async () => {
        const response = await requestToken({
          tokenUrl: params.tokenUrl,
          encoding: "application/x-www-form-urlencoded",
          params: { grant_type: "authorization_code", code, redirect_uri: pending.redirectUri, code_verifier: pending.codeVerifier },
          basicAuth: { clientId: params.consumerKey, clientSecret: params.consumerSecret },
          fetch: ctx.fetch,
        });
        return {
          accessToken: response.accessToken,
          expiresAt: expiresAtFrom(now, response.expiresIn ?? DEFAULT_LIFETIME_SECONDS),
          refreshToken: response.refreshToken,
        };
      },
      (tx, token) =>
        recordAuditEvent(tx, {
          actor: pending.actor,
          action: "site.connected",
          siteId,
          details: { expiresAt: token.expiresAt.toISOString(), refreshToken: token.refreshToken !== undefined },
        }),
    );
  } catch (error) {
    if (!(error instanceof AuthorizationError)) throw error;
    // requestToken's messages name no secret: the operator's log gets the whole reason.
    console.warn(`OAuth Connect of site ${siteId}: ${error.message}`);
    return exchangeProblem(error);
  }
  return { connected: true };
}

function failed(code: CallbackProblemCode, oauthError?: string): CallbackOutcome {
  return { connected: false, problem: oauthError ? { code, oauthError } : { code } };
}

function exchangeProblem(error: AuthorizationError): CallbackOutcome {
  if (/ could not be reached /.test(error.message)) return failed("token_unreachable");
  const oauthError = /^token endpoint answered \d+ ([\w.-]+)/.exec(error.message)?.[1];
  return failed("token_refused", cleanOAuthError(oauthError));
}
