import { AuthorizationError } from "@/lib/auth-methods/types";
import { originAndPath } from "@/lib/observability/redact-url";

/**
 * One request to an OAuth token endpoint (RFC 6749 §3.2), shared by every OAuth method.
 *
 * Hand-written over the caller's fetch rather than openid-client: the JSON body is outside the
 * standard, and openid-client insists on `token_type` and https, which several receivers' token
 * endpoints (and local development) do not meet. One code path serves both encodings.
 */

export const TOKEN_REQUEST_ENCODINGS = ["application/x-www-form-urlencoded", "application/json"] as const;
export type TokenRequestEncoding = (typeof TOKEN_REQUEST_ENCODINGS)[number];

export interface TokenRequest {
  tokenUrl: string;
  encoding: TokenRequestEncoding;
  /** Body parameters; undefined ones are left out. */
  params: Record<string, string | undefined>;
  /** client_secret_basic: the client id and secret go in an `Authorization: Basic` header. */
  basicAuth?: { clientId: string; clientSecret: string };
  fetch: typeof fetch;
}

export interface TokenResponse {
  accessToken: string;
  /** Seconds, as the server's `expires_in` said; undefined when it said nothing. */
  expiresIn?: number;
  refreshToken?: string;
}

/**
 * The token endpoint answered with an error status. Carries what the operator may see: the status
 * and the RFC 6749 §5.2 `error` code and description (values we sent redacted), never the body.
 */
export class TokenEndpointError extends AuthorizationError {
  override name = "TokenEndpointError";
  readonly status: number;
  readonly code?: string;
  readonly description?: string;
  constructor(message: string, answer: { status: number; code?: string; description?: string }) {
    super(message);
    this.status = answer.status;
    this.code = answer.code;
    this.description = answer.description;
  }
}

const TIMEOUT_MS = 15_000;
const MAX_DESCRIPTION = 200;

export async function requestToken(request: TokenRequest): Promise<TokenResponse> {
  const secrets = secretValues(request);
  const { headers, body } = encode(request);
  let response: Response;
  try {
    response = await request.fetch(request.tokenUrl, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new AuthorizationError(`token endpoint ${originAndPath(request.tokenUrl)} could not be reached (${networkCause(error)})`);
  }
  const text = await response.text().catch(() => "");
  const json = parseJsonObject(text);
  if (!response.ok) {
    const refusal = oauthErrorBody(json, secrets);
    const description = refusal.description ? ` (${refusal.description})` : "";
    throw new TokenEndpointError(`token endpoint answered ${response.status}${refusal.code ? ` ${refusal.code}${description}` : ""}`, {
      status: response.status,
      ...refusal,
    });
  }
  if (!json) throw new AuthorizationError(`token endpoint answered ${response.status} with a body that is not a JSON object`);
  return parseTokenResponse(json);
}

/** `application/x-www-form-urlencoded` encoding of one value, as RFC 6749 §2.3.1 asks for Basic credentials. */
export function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, "+");
}

function encode(request: TokenRequest): { headers: Record<string, string>; body: string } {
  const params = Object.entries(request.params).filter((entry): entry is [string, string] => entry[1] !== undefined);
  const headers: Record<string, string> = { accept: "application/json", "content-type": request.encoding };
  if (request.basicAuth) {
    const { clientId, clientSecret } = request.basicAuth;
    headers.authorization = `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString("base64")}`;
  }
  const body =
    request.encoding === "application/json"
      ? JSON.stringify(Object.fromEntries(params))
      : new URLSearchParams(params).toString();
  return { headers, body };
}

function parseTokenResponse(json: Record<string, unknown>): TokenResponse {
  const accessToken = json.access_token;
  if (typeof accessToken !== "string" || accessToken === "") {
    throw new AuthorizationError("token endpoint answered without an access_token");
  }
  const tokenType = json.token_type;
  if (tokenType !== undefined && (typeof tokenType !== "string" || tokenType.toLowerCase() !== "bearer")) {
    throw new AuthorizationError(`token endpoint issued a token of type "${String(tokenType).slice(0, 40)}"; only bearer tokens can be sent`);
  }
  const refreshToken = typeof json.refresh_token === "string" && json.refresh_token !== "" ? json.refresh_token : undefined;
  return { accessToken, expiresIn: parseExpiresIn(json.expires_in), refreshToken };
}

/** expires_in is a number of seconds; some servers send it as a string. */
function parseExpiresIn(value: unknown): number | undefined {
  const seconds = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/** The JSON object a text holds, or null for anything else (not JSON, an array, a string, …). */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The RFC 6749 §5.2 error body's code and description, with anything we sent redacted. */
function oauthErrorBody(json: Record<string, unknown> | null, secrets: string[]): { code?: string; description?: string } {
  if (!json || typeof json.error !== "string") return {};
  const code = redact(json.error.slice(0, 80), secrets);
  const description =
    typeof json.error_description === "string" && json.error_description.trim() !== ""
      ? redact(json.error_description.trim().slice(0, MAX_DESCRIPTION), secrets)
      : undefined;
  return description ? { code, description } : { code };
}

/** Every credential value this request carries, so that no echo of one reaches an error message. */
function secretValues(request: TokenRequest): string[] {
  const values = Object.entries(request.params)
    .filter(([name]) => name !== "grant_type" && name !== "scope" && name !== "client_id" && name !== "client_assertion_type")
    .map(([, value]) => value);
  if (request.basicAuth) values.push(request.basicAuth.clientSecret);
  return values.filter((value): value is string => typeof value === "string" && value.length >= 4);
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce((result, secret) => result.split(secret).join("[redacted]"), text);
}

function networkCause(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === "string") return cause.code;
  if (cause && typeof cause.message === "string" && cause.message) return cause.message.slice(0, 120);
  return error instanceof Error ? error.message.slice(0, 120) || error.name : "network error";
}
