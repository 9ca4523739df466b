/** Query parameters whose values are credentials: AWS SigV4 presigned URLs (and their older forms). */
const SECRET_QUERY_PARAMS = new Set(["x-amz-signature", "x-amz-credential", "x-amz-security-token", "awsaccesskeyid", "signature"]);

export const REDACTED = "REDACTED";

/**
 * The URL as a trace may show it (OpenTelemetry's `url.full` rules): user name and password
 * replaced, and the values of signature query parameters replaced; everything else byte for byte.
 */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return REDACTED;
  }
  if (url.username || url.password) {
    url.username = REDACTED;
    url.password = url.password ? REDACTED : "";
  }
  if (url.search) url.search = redactQuery(url.search.slice(1));
  return url.href;
}

/** Origin and path only, for a token endpoint in an error or a recorded exchange: a URL's user info or query could hold credentials. */
export function originAndPath(raw: string): string {
  try {
    const url = new URL(raw);
    return url.origin + url.pathname;
  } catch {
    return "(invalid URL)";
  }
}

/** Edits the raw query text, so parameters that are not secret keep their exact encoding. */
function redactQuery(query: string): string {
  return query
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq < 0 ? pair : pair.slice(0, eq);
      if (!SECRET_QUERY_PARAMS.has(decodeName(name).toLowerCase())) return pair;
      return `${name}=${REDACTED}`;
    })
    .join("&");
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll("+", " "));
  } catch {
    return name;
  }
}
