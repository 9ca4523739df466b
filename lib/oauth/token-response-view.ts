import type { Explanation, ExplainContext, TokenExchange } from "@/lib/auth-methods/types";

export const REDACTED = "[redacted]";

/** Token response fields that carry no credential (RFC 6749 §5.1, §5.2); every other field is shown by name only. */
const SHOWN_FIELDS = new Set(["token_type", "expires_in", "scope", "error", "error_description", "error_uri"]);
const MAX_SHOWN_TEXT = 300;

/**
 * A token endpoint's answer as the browser may see it: status, `token_type`, `expires_in`, `scope`
 * (and an error's code and description) as sent; `access_token`, `refresh_token`, `id_token` and
 * any other field replaced by "[redacted]". Any secret the request carried is cut out of what is
 * shown, in case the server echoed it.
 */
export function redactedTokenResponse(exchange: TokenExchange, secrets: readonly string[]) {
  const secretValues = [...secrets, ...exchange.sentCredentials];
  const body = exchange.json
    ? Object.fromEntries(
        Object.entries(exchange.json).map(([name, value]) => [
          name,
          SHOWN_FIELDS.has(name) ? redactValue(value, secretValues) : REDACTED,
        ]),
      )
    : null;
  return {
    url: exchange.url,
    status: exchange.status,
    durationMs: exchange.durationMs,
    body,
    ...(body ? {} : { text: redactText(exchange.text.slice(0, MAX_SHOWN_TEXT), secretValues) }),
  };
}

function redactValue(value: unknown, secretValues: readonly string[]): unknown {
  if (typeof value === "string") return redactText(value.slice(0, MAX_SHOWN_TEXT), secretValues);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return value;
  return REDACTED;
}

function redactText(text: string, secretValues: readonly string[]): string {
  return secretValues.filter((s) => s.length >= 4).reduce((result, secret) => result.split(secret).join(REDACTED), text);
}

/** The OAuth methods' explanation: the token responses seen while authorizing, or that the cached token was used. */
export async function explainBearerToken(ctx: ExplainContext): Promise<Explanation> {
  if (ctx.tokenExchanges.length === 0) {
    const until = ctx.tokenExpiresAt ? `, valid until ${ctx.tokenExpiresAt.toISOString()}` : "";
    return {
      summary: `Bearer access token from the site's token cache (no token request was needed${until}). The token itself is not shown.`,
      items: [],
    };
  }
  return {
    summary: "Bearer access token fetched now from the token endpoint. The token itself is not shown.",
    items: ctx.tokenExchanges.map((exchange, i) => ({
      key: ctx.tokenExchanges.length === 1 ? "tokenResponse" : `tokenResponse${i + 1}`,
      label: ctx.tokenExchanges.length === 1 ? "Token response" : `Token response ${i + 1}`,
      value: JSON.stringify(redactedTokenResponse(exchange, ctx.secretValues), null, 2),
      format: "json" as const,
    })),
  };
}
