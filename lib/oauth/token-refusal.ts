/**
 * The provider refused what we presented (client-safe): for an authorization-code site the refresh
 * token (`invalid_grant`), which only a new Connect replaces; otherwise the client's credentials or
 * assertion, which only new credentials in the site's settings mend.
 */
export type TokenRefusal = "needs_reauthorization" | "credentials_refused";

export const REFUSAL_LABELS: Record<TokenRefusal, string> = {
  needs_reauthorization: "Needs re-authorisation",
  credentials_refused: "Credentials refused",
};
