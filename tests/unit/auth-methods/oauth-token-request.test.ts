import { describe, expect, it } from "vitest";
import { AuthorizationError } from "@/lib/auth-methods/types";
import { requestToken, type TokenRequest } from "@/lib/oauth/token-request";

interface Seen {
  url: string;
  init: RequestInit;
}

function answering(status: number, body: unknown, seen: Seen[] = []): typeof fetch {
  return async (input, init) => {
    seen.push({ url: String(input), init: init ?? {} });
    return new Response(typeof body === "string" ? body : JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json" },
    });
  };
}

const base = (fetcher: typeof fetch, overrides: Partial<TokenRequest> = {}): TokenRequest => ({
  tokenUrl: "https://auth.example.com/oauth2/token?tenant=1",
  encoding: "application/x-www-form-urlencoded",
  params: { grant_type: "client_credentials", scope: "a b", client_secret: "s3cr3t-value", unused: undefined },
  fetch: fetcher,
  ...overrides,
});

async function failure(request: TokenRequest) {
  const error = await requestToken(request).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(AuthorizationError);
  return (error as Error).message;
}

describe("token request", () => {
  it("posts a form body with Basic client authentication (form-encoded id and secret) and reads the answer", async () => {
    const seen: Seen[] = [];
    const token = await requestToken(
      base(answering(200, { access_token: "at", token_type: "Bearer", expires_in: "3600", refresh_token: "rt" }, seen), {
        basicAuth: { clientId: "my app", clientSecret: "p@ss:word" },
      }),
    );
    expect(token).toEqual({ accessToken: "at", expiresIn: 3600, refreshToken: "rt" });
    const { init } = seen[0]!;
    expect(init.method).toBe("POST");
    expect(init.redirect).toBe("manual");
    expect(init.headers).toMatchObject({
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from("my+app:p%40ss%3Aword").toString("base64")}`,
    });
    expect(Object.fromEntries(new URLSearchParams(String(init.body)))).toEqual({
      grant_type: "client_credentials",
      scope: "a b",
      client_secret: "s3cr3t-value",
    });
  });

  it("posts a JSON body when asked to", async () => {
    const seen: Seen[] = [];
    await requestToken(base(answering(200, { access_token: "at" }, seen), { encoding: "application/json" }));
    expect(seen[0]!.init.headers).toMatchObject({ "content-type": "application/json" });
    expect(JSON.parse(String(seen[0]!.init.body))).toEqual({ grant_type: "client_credentials", scope: "a b", client_secret: "s3cr3t-value" });
  });

  it("reports the provider's error and description, with anything we sent redacted", async () => {
    const message = await failure(
      base(answering(400, { error: "invalid_client", error_description: "client_secret s3cr3t-value is wrong" })),
    );
    expect(message).toBe("token endpoint answered 400 invalid_client (client_secret [redacted] is wrong)");
  });

  it("explains answers it cannot use", async () => {
    expect(await failure(base(answering(502, "<html>Bad gateway</html>")))).toBe("token endpoint answered 502");
    expect(await failure(base(answering(200, "<html>login</html>")))).toBe("token endpoint answered 200 with a body that is not a JSON object");
    expect(await failure(base(answering(200, { token: "x" })))).toBe("token endpoint answered without an access_token");
    expect(await failure(base(answering(200, { access_token: "x", token_type: "DPoP" })))).toMatch(/only bearer tokens/);
    expect(await failure(base(answering(302, "")))).toBe("token endpoint answered 302");
  });

  it("a network failure names the endpoint without its query or user info", async () => {
    const refused: typeof fetch = async () => {
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
    };
    const message = await failure(base(refused, { tokenUrl: "https://user:pw@auth.example.com/token?key=abc" }));
    expect(message).toBe("token endpoint https://auth.example.com/token could not be reached (ECONNREFUSED)");
  });

  it("ignores a missing or nonsensical expires_in", async () => {
    expect((await requestToken(base(answering(200, { access_token: "a" })))).expiresIn).toBeUndefined();
    expect((await requestToken(base(answering(200, { access_token: "a", expires_in: "soon" })))).expiresIn).toBeUndefined();
    expect((await requestToken(base(answering(200, { access_token: "a", expires_in: -5 })))).expiresIn).toBeUndefined();
  });
});
