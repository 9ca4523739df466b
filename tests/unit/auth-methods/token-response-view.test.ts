import { describe, expect, it } from "vitest";
import type { TokenExchange } from "@/lib/auth-methods/types";
import { redactedTokenResponse } from "@/lib/oauth/token-response-view";

const exchange = (json: Record<string, unknown> | null, text = "", sentCredentials: string[] = []): TokenExchange => ({
  url: "https://id.example/token",
  status: json && "error" in json ? 400 : 200,
  durationMs: 12,
  json,
  text,
  sentCredentials,
});

describe("the token response as Test connection shows it", () => {
  it("keeps token_type, expires_in and scope; redacts the tokens and any field it does not know", () => {
    const shown = redactedTokenResponse(
      exchange({ access_token: "at-123456", refresh_token: "rt-123456", id_token: "eyJ.x.y", token_type: "Bearer", expires_in: 3600, scope: "api:read", vendor_session: "abc-secret" }),
      [],
    );
    expect(shown).toEqual({
      url: "https://id.example/token",
      status: 200,
      durationMs: 12,
      body: { access_token: "[redacted]", refresh_token: "[redacted]", id_token: "[redacted]", token_type: "Bearer", expires_in: 3600, scope: "api:read", vendor_session: "[redacted]" },
    });
  });

  it("cuts a credential the server echoed into its error description, and what the request carried", () => {
    const shown = redactedTokenResponse(
      exchange({ error: "invalid_client", error_description: "secret s3cr3t-value and assertion eyJhbGciOi.abc.def are wrong" }, "", ["eyJhbGciOi.abc.def"]),
      ["s3cr3t-value"],
    );
    expect(shown.body).toEqual({ error: "invalid_client", error_description: "secret [redacted] and assertion [redacted] are wrong" });
  });

  it("a body that is not JSON: its start, redacted", () => {
    const shown = redactedTokenResponse(exchange(null, "<html>bad gateway for s3cr3t-value</html>"), ["s3cr3t-value"]);
    expect(shown).toMatchObject({ body: null, text: "<html>bad gateway for [redacted]</html>" });
  });
});
