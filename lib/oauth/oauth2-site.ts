import { oauth2Method, type OAuth2Params } from "@/lib/auth-methods/oauth2";
import { openParams, withoutTokenState } from "@/lib/auth-methods/stored-params";
import type { Database } from "@/lib/db/client";
import type { TrustedSite } from "@/lib/db/schema";
import { ConflictError } from "@/lib/errors";
import type { SecretBox } from "@/lib/secrets";
import { getSiteOrThrow } from "@/lib/trusted-sites/get-site";

export interface OAuth2Site {
  site: TrustedSite;
  /** Decrypted: never leaves the server. */
  params: OAuth2Params;
}

/** The site and its `oauth2` parameters in clear, or a 404 / 409 saying why it cannot connect. */
export async function loadOAuth2Site(db: Pick<Database, "select">, box: SecretBox, siteId: string): Promise<OAuth2Site> {
  const site = await getSiteOrThrow(db, siteId);
  if (site.authMethod !== "oauth2") {
    throw new ConflictError("This site does not use OAuth 2.0 (authorization code), so it has nothing to connect");
  }
  let opened: Record<string, unknown>;
  try {
    opened = openParams(site.authMethod, site.authParams, box);
  } catch {
    throw new ConflictError("The site's consumer secret cannot be decrypted (was APP_ENCRYPTION_KEY changed?): edit the site and enter it again");
  }
  const parsed = oauth2Method.schema.safeParse(withoutTokenState(opened));
  if (!parsed.success) {
    throw new ConflictError("The site's OAuth settings are incomplete or invalid: edit the site");
  }
  return { site, params: parsed.data };
}
