/** The authentication methods a trusted site can use (DESIGN §6), as the API and database spell them. */
export const AUTH_METHODS = [
  "none",
  "basic",
  "static-header",
  "aws",
  "aws-s3",
  "jwt",
  "oauth2",
  "oauth2-client-credentials",
  "oauth2-jwt-private-key",
] as const;

export type AuthMethod = (typeof AUTH_METHODS)[number];

/** The methods whose credentials are access tokens fetched from the site's token endpoint and cached per site. */
export const TOKEN_METHODS = ["oauth2", "oauth2-client-credentials", "oauth2-jwt-private-key"] as const satisfies readonly AuthMethod[];
export type TokenMethod = (typeof TOKEN_METHODS)[number];

export function isTokenMethod(method: AuthMethod): method is TokenMethod {
  return (TOKEN_METHODS as readonly AuthMethod[]).includes(method);
}
