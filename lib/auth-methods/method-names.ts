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
