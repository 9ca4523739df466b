/** The OAuth Redirect URL of a site: what an operator registers with the provider (DESIGN §8). */
export function oauthRedirectUrl(origin: string, siteId: string): string {
  return new URL(`/api/trusted-sites/${siteId}/oauth/callback`, origin).toString();
}
