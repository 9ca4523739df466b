import { describe, expect, it } from "vitest";
import { AuthorizationError } from "@/lib/auth-methods/types";
import { describeTokenFetchFailure } from "@/lib/oauth/token-health";
import { TokenEndpointError } from "@/lib/oauth/token-request";

const answered = (status: number, code?: string) => new TokenEndpointError(`token endpoint answered ${status}${code ? ` ${code}` : ""}`, { status, code });

describe("what a failed token fetch leaves on the site page", () => {
  it("a refused refresh token needs re-authorisation; a refused client or assertion is credentials refused", () => {
    expect(describeTokenFetchFailure(answered(400, "invalid_grant"), "oauth2")).toMatchObject({ refusal: "needs_reauthorization", status: 400, code: "invalid_grant" });
    expect(describeTokenFetchFailure(answered(400, "invalid_grant"), "oauth2-jwt-private-key").refusal).toBe("credentials_refused");
    expect(describeTokenFetchFailure(answered(401, "invalid_client"), "oauth2").refusal).toBe("credentials_refused");
    expect(describeTokenFetchFailure(answered(400, "unauthorized_client"), "oauth2-client-credentials").refusal).toBe("credentials_refused");
    expect(describeTokenFetchFailure(answered(403), "oauth2-client-credentials").refusal).toBe("credentials_refused");
  });

  it("an outage or a server error is an error, not a refusal; neither is a failed Connect", () => {
    expect(describeTokenFetchFailure(answered(503), "oauth2")).toEqual({ message: "token endpoint answered 503", status: 503 });
    expect(describeTokenFetchFailure(answered(400, "invalid_scope"), "oauth2").refusal).toBeUndefined();
    expect(describeTokenFetchFailure(new AuthorizationError("token endpoint could not be reached (ECONNREFUSED)"), "oauth2")).toEqual({
      message: "token endpoint could not be reached (ECONNREFUSED)",
    });
    const connect = describeTokenFetchFailure(answered(400, "invalid_grant"), "oauth2", "connect");
    expect(connect).toEqual({ message: "Connect: token endpoint answered 400 invalid_grant", status: 400, code: "invalid_grant" });
  });

  it("an unexpected error is named by its kind only: its text could quote parameters", () => {
    const failure = describeTokenFetchFailure(new TypeError("cannot read secret-value-123"), "oauth2");
    expect(failure.message).toBe("the token could not be obtained (an unexpected TypeError)");
    expect(failure.message).not.toContain("secret-value-123");
  });
});
