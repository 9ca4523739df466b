/**
 * Why an OAuth callback did not connect the site, as a code the callback puts in the result page's
 * URL and the page turns into plain words. Only codes travel in the URL, never free text, so a
 * crafted link cannot make the page say anything else.
 */
export const CALLBACK_PROBLEMS = [
  "missing_state",
  "unknown_state",
  "expired_state",
  "wrong_site",
  "provider_error",
  "missing_code",
  "site_unavailable",
  "token_refused",
  "token_unreachable",
] as const;

export type CallbackProblemCode = (typeof CALLBACK_PROBLEMS)[number];

export interface CallbackProblem {
  code: CallbackProblemCode;
  /** An OAuth error code (RFC 6749 §4.1.2.1 / §5.2) from the provider, when it sent one. */
  oauthError?: string;
}

const OAUTH_ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/** The provider's error code if it looks like one, so that it can be shown and put in a URL. */
export function cleanOAuthError(value: string | null | undefined): string | undefined {
  return value && OAUTH_ERROR_CODE.test(value) ? value : undefined;
}

export function isCallbackProblemCode(value: unknown): value is CallbackProblemCode {
  return typeof value === "string" && (CALLBACK_PROBLEMS as readonly string[]).includes(value);
}

const PROBLEM_TEXT: Record<CallbackProblemCode, string> = {
  missing_state:
    "The answer from the OAuth provider did not say which Connect it belongs to (no state), so it was ignored. Press Connect on the site page to try again.",
  unknown_state:
    "This answer from the OAuth provider does not match any Connect in progress. Each Connect works once: it was already used, or it was not started here. Press Connect on the site page to try again.",
  expired_state:
    "The approval at the OAuth provider took longer than 10 minutes, so this Connect expired. Press Connect on the site page to start again.",
  wrong_site:
    "This answer from the OAuth provider belongs to a Connect started for another site, so it was not used for this one. Press Connect on the site you want to connect.",
  provider_error: "The OAuth provider did not grant access.",
  missing_code:
    "The OAuth provider sent the user back without an authorization code. Check the site's response type (usually \"code\"), then press Connect again.",
  site_unavailable:
    "The site was deleted, or no longer uses OAuth 2.0 (authorization code), while you were at the OAuth provider.",
  token_refused:
    "The OAuth provider approved the connection, but its token URL refused to exchange the authorization code for an access token. Check the consumer key, consumer secret and token URL, and that the provider accepts this site's Redirect URL, then press Connect again.",
  token_unreachable:
    "The OAuth provider approved the connection, but its token URL could not be reached to get an access token. Check the token URL, then press Connect again.",
};

/** RFC 6749 §4.1.2.1 and OpenID Connect §3.1.2.6 error codes, in plain words. */
const PROVIDER_ERROR_TEXT: Record<string, string> = {
  access_denied: "Access was declined at the OAuth provider (the user, or the provider, said no). Press Connect to try again.",
  invalid_request: "The OAuth provider says the Connect request was malformed. Check the site's authorization URL and Redirect URL registration.",
  unauthorized_client: "The OAuth provider does not allow this consumer key to connect this way. Check the consumer key and the app's settings at the provider.",
  unsupported_response_type: "The OAuth provider does not support the site's response type. Set it to \"code\" unless the provider documents otherwise.",
  invalid_scope: "The OAuth provider refused the requested scope. Check the site's Scope setting.",
  server_error: "The OAuth provider had an internal error. Try Connect again later.",
  temporarily_unavailable: "The OAuth provider is temporarily unavailable. Try Connect again later.",
  login_required: "The OAuth provider needs the user to sign in there first. Press Connect again and sign in.",
  consent_required: "The OAuth provider needs the user to approve access. Press Connect again and approve.",
  interaction_required: "The OAuth provider needs the user to complete a step there. Press Connect again.",
};

/** The headline and the explanation the result page shows for a problem. */
export function describeCallbackProblem(problem: CallbackProblem): { title: string; text: string } {
  if (problem.code === "provider_error") {
    const known = problem.oauthError && PROVIDER_ERROR_TEXT[problem.oauthError];
    return {
      title: problem.oauthError === "access_denied" ? "Access was declined" : "The OAuth provider did not grant access",
      text: known || PROBLEM_TEXT.provider_error,
    };
  }
  const title = problem.code === "token_refused" || problem.code === "token_unreachable" ? "No access token was issued" : "The site was not connected";
  return { title, text: PROBLEM_TEXT[problem.code] };
}
