import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWK } from "jose";
import Provider, { errors, type OidcContext } from "oidc-provider";
import { startReceiver, type Receiver } from "./http-receiver";

/**
 * A real OAuth 2.0 authorization server for tests: oidc-provider (OpenID-certified) on 127.0.0.1,
 * behind a thin node:http front that
 *  - counts requests to the token endpoint (`tokenRequests()`),
 *  - turns JSON token requests into form requests (oidc-provider, like RFC 6749, accepts only forms),
 *  - routes RFC 7523 jwt-bearer requests, which carry no client authentication, to the client named
 *    by the assertion's `iss` (as Google and Salesforce identify the caller), and
 *  - serves the login and consent screens of the authorization-code flow: in a browser, a sign-in
 *    form (any account name, no password) and then an Allow / Deny consent form; for headless
 *    requests that name an account (`x-test-account`, as `approveAuthorization` sends), both are
 *    approved at once.
 *
 * Clients (see `OAuthTestServer.clients`):
 *  - `basic`, `post`: client_credentials with client_secret_basic / client_secret_post;
 *  - `privateKeyRs256`, `privateKeyEs256`: client_credentials with private_key_jwt (RFC 7523 §2.2);
 *  - `jwtBearerRs256`, `jwtBearerEs256`: the jwt-bearer grant (RFC 7523 §2.1), assertion checked here;
 *  - `webApp`: authorization_code + refresh_token with client_secret_basic (the `oauth2` method);
 *  - `resourceServer`: only for token introspection, the way a receiver validates bearer tokens.
 *
 * Tokens are opaque; `introspect()` asks the introspection endpoint (RFC 7662) as the resource server.
 */

export interface SecretClient {
  clientId: string;
  clientSecret: string;
}

export interface KeyClient {
  clientId: string;
  /** PKCS#8 PEM private key, whose public half the server knows under `keyId`. */
  privateKeyPem: string;
  keyId: string;
  algorithm: "RS256" | "ES256";
}

export interface WebAppClient extends SecretClient {
  redirectUri: string;
}

export interface Introspection {
  active: boolean;
  client_id?: string;
  sub?: string;
  scope?: string;
  exp?: number;
  token_type?: string;
}

export interface OAuthServerOptions {
  /** Lifetime of access tokens from authorization code / refresh, seconds (default 3600). */
  accessTokenTtl?: number;
  /** Lifetime of client credentials and jwt-bearer tokens, seconds (default 600). */
  clientCredentialsTtl?: number;
  /** Issue a new refresh token on every refresh and retire the old one (default true). */
  rotateRefreshToken?: boolean;
}

export interface OAuthTestServer {
  issuer: string;
  tokenUrl: string;
  authorizationUrl: string;
  introspectionUrl: string;
  clients: {
    basic: SecretClient;
    post: SecretClient;
    privateKeyRs256: KeyClient;
    privateKeyEs256: KeyClient;
    jwtBearerRs256: KeyClient;
    jwtBearerEs256: KeyClient;
    webApp: WebAppClient;
    resourceServer: SecretClient;
  };
  /** Scopes every client may request. */
  scopes: readonly string[];
  /** POST requests that reached the token endpoint so far. */
  tokenRequests(): number;
  resetTokenRequests(): void;
  /** What the server says about a token (RFC 7662), asked as the resource server. */
  introspect(token: string): Promise<Introspection>;
  /**
   * A refresh token for `webApp` (or another authorization-code client) as if a user had approved
   * the authorization: a grant and a refresh token created through the provider's own models.
   */
  issueRefreshToken(options?: { clientId?: string; accountId?: string; scope?: string }): Promise<string>;
  /**
   * Follows an authorization request (`authorizationUrl?client_id=…&redirect_uri=…&response_type=code…`)
   * through the provider's redirects, carrying its cookies, with the interaction auto-approved for
   * `accountId`; returns the redirect back to the client (`redirect_uri?code=…&state=…`).
   */
  approveAuthorization(authorizationRequestUrl: string, accountId?: string): Promise<URL>;
  /**
   * A new client like `webApp` (authorization_code + refresh_token, client_secret_basic, every scope)
   * accepting exactly these redirect URIs, e.g. an app's per-site Redirect URL once the site exists.
   * Given a client it registered before, replaces that client's redirect URIs (same id and secret).
   */
  registerWebAppClient(redirectUris: string[], existing?: SecretClient): Promise<WebAppClient>;
  close(): Promise<void>;
}

const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const SCOPES = ["openid", "offline_access", "api:read", "api:write"] as const;

export async function startOAuthServer(options: OAuthServerOptions = {}): Promise<OAuthTestServer> {
  // Filled in once the port, and so the issuer, is known.
  const state: { ready?: { provider: Provider; handle: ReturnType<Provider["callback"]> } } = {};
  let tokenRequests = 0;
  const server = createServer((req, res) => {
    front(req, res).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(error instanceof Error ? error.message : "error");
    });
  });

  async function front(req: IncomingMessage, res: ServerResponse) {
    const { ready } = state;
    if (!ready) throw new Error("the provider is not ready");
    const { pathname } = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "POST" && pathname === "/token") {
      tokenRequests++;
      await rewriteTokenRequest(req);
    } else if (pathname.startsWith("/interaction/")) {
      return interaction(ready.provider, req, res, pathname);
    }
    ready.handle(req, res);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokenUrl = `${issuer}/token`;

  const rsa = keyPair("rsa", "client-rsa");
  const ec = keyPair("ec", "client-ec");
  const clients = {
    basic: { clientId: "cc-basic", clientSecret: secret() },
    post: { clientId: "cc-post", clientSecret: secret() },
    privateKeyRs256: { clientId: "pkjwt-rs256", privateKeyPem: rsa.pem, keyId: rsa.jwk.kid!, algorithm: "RS256" as const },
    privateKeyEs256: { clientId: "pkjwt-es256", privateKeyPem: ec.pem, keyId: ec.jwk.kid!, algorithm: "ES256" as const },
    jwtBearerRs256: { clientId: "bearer-rs256", privateKeyPem: rsa.pem, keyId: rsa.jwk.kid!, algorithm: "RS256" as const },
    jwtBearerEs256: { clientId: "bearer-es256", privateKeyPem: ec.pem, keyId: ec.jwk.kid!, algorithm: "ES256" as const },
    webApp: { clientId: "web-app", clientSecret: secret(), redirectUri: "http://127.0.0.1/oauth/callback" },
    resourceServer: { clientId: "resource-server", clientSecret: secret() },
  };
  const noRedirects = { redirect_uris: [], response_types: [] };
  const scope = SCOPES.join(" ");

  const provider = new Provider(issuer, {
    clients: [
      { ...noRedirects, client_id: clients.basic.clientId, client_secret: clients.basic.clientSecret, grant_types: ["client_credentials"], token_endpoint_auth_method: "client_secret_basic", scope },
      { ...noRedirects, client_id: clients.post.clientId, client_secret: clients.post.clientSecret, grant_types: ["client_credentials"], token_endpoint_auth_method: "client_secret_post", scope },
      keyClient(clients.privateKeyRs256, rsa.jwk, "private_key_jwt", "client_credentials"),
      keyClient(clients.privateKeyEs256, ec.jwk, "private_key_jwt", "client_credentials"),
      keyClient(clients.jwtBearerRs256, rsa.jwk, "none", JWT_BEARER_GRANT),
      keyClient(clients.jwtBearerEs256, ec.jwk, "none", JWT_BEARER_GRANT),
      {
        client_id: clients.webApp.clientId,
        client_secret: clients.webApp.clientSecret,
        redirect_uris: [clients.webApp.redirectUri],
        response_types: ["code"],
        grant_types: ["authorization_code", "refresh_token"],
        token_endpoint_auth_method: "client_secret_basic",
        scope,
      },
      { ...noRedirects, client_id: clients.resourceServer.clientId, client_secret: clients.resourceServer.clientSecret, grant_types: [], token_endpoint_auth_method: "client_secret_basic" },
    ],
    jwks: { keys: [keyPair("rsa", "server-signing").privateJwk] },
    cookies: { keys: [secret()] },
    scopes: [...SCOPES],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Any authenticated client may introspect: the receivers in tests play the resource server.
      introspection: { enabled: true, allowedPolicy: async () => true },
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, accountId: string) => ({ accountId, claims: async () => ({ sub: accountId }) }),
    // As OpenID Connect providers do: a refresh token only for a grant that includes offline_access,
    // which the provider keeps only when the authorization request asked for consent (prompt=consent).
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }, code: { scopes: Set<string> }) =>
      client.grantTypeAllowed("refresh_token") && code.scopes.has("offline_access"),
    expiresWithSession: async () => false,
    rotateRefreshToken: options.rotateRefreshToken ?? true,
    ttl: {
      AccessToken: options.accessTokenTtl ?? 3600,
      ClientCredentials: options.clientCredentialsTtl ?? 600,
      RefreshToken: 14 * 86_400,
      Grant: 14 * 86_400,
      Interaction: 600,
      Session: 600,
      IdToken: 3600,
    },
  });
  provider.registerGrantType(JWT_BEARER_GRANT, jwtBearerGrant(provider, tokenUrl), ["assertion", "scope"]);
  state.ready = { provider, handle: provider.callback() };

  return {
    issuer,
    tokenUrl,
    authorizationUrl: `${issuer}/auth`,
    introspectionUrl: `${issuer}/token/introspection`,
    clients,
    scopes: SCOPES,
    tokenRequests: () => tokenRequests,
    resetTokenRequests: () => {
      tokenRequests = 0;
    },
    async introspect(token) {
      const { clientId, clientSecret } = clients.resourceServer;
      const response = await fetch(`${issuer}/token/introspection`, {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ token }).toString(),
      });
      if (!response.ok) throw new Error(`introspection answered ${response.status}`);
      return (await response.json()) as Introspection;
    },
    async issueRefreshToken({ clientId = clients.webApp.clientId, accountId = "user-1", scope: granted = "openid offline_access" } = {}) {
      const client = await provider.Client.find(clientId);
      if (!client) throw new Error(`unknown client ${clientId}`);
      const grant = new provider.Grant({ clientId, accountId });
      grant.addOIDCScope(granted);
      const grantId = await grant.save();
      return new provider.RefreshToken({
        client,
        accountId,
        grantId,
        scope: granted,
        gty: "authorization_code",
        expiresWithSession: false,
        iiat: Math.floor(Date.now() / 1000),
      }).save();
    },
    approveAuthorization: (url, accountId = "user-1") => followAuthorization(url, issuer, accountId),
    async registerWebAppClient(redirectUris, existing) {
      const client = {
        clientId: existing?.clientId ?? `web-app-${randomBytes(6).toString("hex")}`,
        clientSecret: existing?.clientSecret ?? secret(),
        redirectUri: redirectUris[0]!,
      };
      // Clients stored through the adapter are found after the static ones, as if registered dynamically.
      const { adapter } = provider.Client as unknown as { adapter: { upsert(id: string, payload: Record<string, unknown>): Promise<void> } };
      await adapter.upsert(client.clientId, {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: redirectUris,
        response_types: ["code"],
        grant_types: ["authorization_code", "refresh_token"],
        token_endpoint_auth_method: "client_secret_basic",
        scope,
      });
      return client;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * JSON bodies become form bodies, and a jwt-bearer request without client authentication names its
 * client by the assertion's issuer. oidc-provider takes a body already read from `req.body`.
 */
async function rewriteTokenRequest(req: IncomingMessage) {
  const raw = await readBody(req);
  const json = (req.headers["content-type"] ?? "").startsWith("application/json");
  const params = json ? jsonToParams(raw) : new URLSearchParams(raw);
  if (params.get("grant_type") === JWT_BEARER_GRANT && !params.has("client_id") && !req.headers.authorization) {
    const issuer = issuerOf(params.get("assertion"));
    if (issuer) params.set("client_id", issuer);
  }
  const form = params.toString();
  req.headers["content-type"] = "application/x-www-form-urlencoded";
  req.headers["content-length"] = String(Buffer.byteLength(form));
  (req as IncomingMessage & { body?: string }).body = form;
}

function jsonToParams(raw: string): URLSearchParams {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = null;
  }
  const entries = parsed && typeof parsed === "object" ? Object.entries(parsed) : [];
  return new URLSearchParams(entries.map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
}

function issuerOf(assertion: string | null): string | undefined {
  try {
    return assertion ? decodeJwt(assertion).iss : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 7523 §2.1 / §3: the assertion, signed by the client's key, issued by and about the client, for this token endpoint. */
function jwtBearerGrant(provider: Provider, tokenUrl: string) {
  return async (ctx: OidcContext) => {
    const { client, params } = ctx.oidc;
    if (!params.assertion) throw new errors.InvalidRequest("missing required parameter 'assertion'");
    let payload;
    try {
      ({ payload } = await jwtVerify(params.assertion, createLocalJWKSet({ keys: (client.jwks?.keys ?? []) as JWK[] }), {
        issuer: client.clientId,
        subject: client.clientId,
        audience: tokenUrl,
        algorithms: ["RS256", "ES256"],
        requiredClaims: ["exp", "iat", "jti"],
        maxTokenAge: "10 minutes",
      }));
    } catch (error) {
      throw new errors.InvalidGrant(`assertion rejected (${(error as { code?: string }).code ?? "invalid"})`);
    }
    if (!(await provider.ReplayDetection.unique(client.clientId, String(payload.jti), payload.exp!))) {
      throw new errors.InvalidGrant("assertion already used");
    }
    const token = new provider.ClientCredentials({ client, scope: params.scope || undefined });
    const accessToken = await token.save();
    ctx.body = { access_token: accessToken, token_type: "Bearer", expires_in: token.expiration, scope: token.scope };
  };
}

/**
 * The provider's interaction screens (oidc-provider leaves them to the host application):
 *  - GET  /interaction/:uid          the login form, or the consent form once signed in;
 *  - POST /interaction/:uid/login    signs in as the account typed (no password: a test server);
 *  - POST /interaction/:uid/confirm  grants the requested scopes to the client;
 *  - POST /interaction/:uid/abort    the user declined: the client gets error=access_denied.
 * A GET with an `x-test-account` header (headless `approveAuthorization`) signs in and consents at once.
 */
async function interaction(provider: Provider, req: IncomingMessage, res: ServerResponse, pathname: string) {
  const [, , uid, action] = pathname.split("/");
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error("interaction mismatch");
  const headless = req.headers["x-test-account"];
  if (req.method === "GET" && typeof headless === "string") {
    const grantId = await grantScopes(provider, details, headless);
    return provider.interactionFinished(req, res, { login: { accountId: headless }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }
  if (req.method === "GET" && !action) return renderInteraction(res, details);
  if (req.method !== "POST") return sendHtml(res, 405, "<p>Method not allowed</p>");
  const form = new URLSearchParams(await readBody(req));
  if (action === "login") {
    const accountId = form.get("account")?.trim() || "user-1";
    return provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  }
  if (action === "confirm" && details.session) {
    const grantId = await grantScopes(provider, details, details.session.accountId);
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (action === "abort") {
    return provider.interactionFinished(req, res, { error: "access_denied", error_description: "End-User aborted interaction" }, { mergeWithLastSubmission: false });
  }
  return sendHtml(res, 400, "<p>Unknown interaction step</p>");
}

async function grantScopes(provider: Provider, details: { params: Record<string, unknown> }, accountId: string): Promise<string> {
  const grant = new provider.Grant({ clientId: String(details.params.client_id), accountId });
  grant.addOIDCScope(String(details.params.scope ?? "openid"));
  return grant.save();
}

function renderInteraction(res: ServerResponse, details: { uid: string; params: Record<string, unknown>; prompt: { name: string }; session?: { accountId: string } }) {
  const base = `/interaction/${encodeURIComponent(details.uid)}`;
  const client = escapeHtml(String(details.params.client_id));
  if (details.prompt.name === "login") {
    return sendHtml(
      res,
      200,
      `<h1>Sign in to the test provider</h1>
<form method="post" action="${base}/login">
  <label>Account <input name="account" value="user-1" autocomplete="off"></label>
  <button type="submit">Sign in</button>
  <button type="submit" formaction="${base}/abort">Cancel</button>
</form>`,
    );
  }
  const scopes = String(details.params.scope ?? "openid").split(" ").map((scope) => `<li>${escapeHtml(scope)}</li>`).join("");
  return sendHtml(
    res,
    200,
    `<h1>Allow ${client} to access your account?</h1>
<p>Signed in as ${escapeHtml(details.session?.accountId ?? "")}. The app asks for:</p>
<ul>${scopes}</ul>
<form method="post" action="${base}/confirm">
  <button type="submit">Allow</button>
  <button type="submit" formaction="${base}/abort">Deny</button>
</form>`,
  );
}

function sendHtml(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(`<!doctype html><html><head><title>Test OAuth provider</title></head><body>${body}</body></html>`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function followAuthorization(start: string, issuer: string, accountId: string): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = new URL(start);
  for (let hop = 0; hop < 10; hop++) {
    if (url.origin !== issuer) return url;
    const response = await fetch(url, {
      redirect: "manual",
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join("; "),
        "x-test-account": accountId,
      },
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const at = pair!.indexOf("=");
      cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    const location = response.headers.get("location");
    if (!location) throw new Error(`authorization stopped at ${url.pathname} with ${response.status}: ${(await response.text()).slice(0, 300)}`);
    url = new URL(location, url);
  }
  throw new Error("too many redirects during authorization");
}

function keyClient(client: KeyClient, publicJwk: JWK, authMethod: "private_key_jwt" | "none", grantType: string) {
  return {
    client_id: client.clientId,
    redirect_uris: [],
    response_types: [],
    grant_types: [grantType],
    token_endpoint_auth_method: authMethod,
    ...(authMethod === "private_key_jwt" ? { token_endpoint_auth_signing_alg: client.algorithm } : {}),
    jwks: { keys: [publicJwk] },
    scope: SCOPES.join(" "),
  };
}

function keyPair(type: "rsa" | "ec", kid: string): { pem: string; jwk: JWK; privateJwk: JWK } {
  const { privateKey, publicKey } =
    type === "rsa"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const alg = type === "rsa" ? "RS256" : "ES256";
  return {
    pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    jwk: { ...exportJwk(publicKey), kid, alg, use: "sig" },
    privateJwk: { ...exportJwk(privateKey), kid, alg, use: "sig" },
  };
}

function exportJwk(key: KeyObject): JWK {
  return key.export({ format: "jwk" }) as JWK;
}

function secret() {
  return randomBytes(24).toString("base64url");
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** A webhook receiver that accepts a request only with a bearer token `oauth` says is active (RFC 7662). */
export function startIntrospectingReceiver(oauth: Pick<OAuthTestServer, "introspect">): Promise<Receiver> {
  return startReceiver(async (request) => {
    const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? "")?.[1];
    if (!token) return { accepted: false, reason: "no bearer token" };
    const introspection = await oauth.introspect(token);
    return introspection.active ? { accepted: true, reason: `token for ${introspection.sub}` } : { accepted: false, reason: "inactive token" };
  });
}
