import type { SigningSecretView } from "./schema";

/**
 * One Standard Webhooks signing secret of a site, as stored in `trusted_sites.signing_secrets`
 * (newest first). The secret itself is sealed (lib/secrets.ts); `prefix` identifies it on the site
 * page without revealing it. `activeUntil` is null for the current secret and set, once a newer one
 * replaced it, to the end of the overlap during which both sign.
 */
export interface StoredSigningSecret {
  id: string;
  sealed: string;
  prefix: string;
  createdAt: string;
  activeUntil: string | null;
}

/** The secrets that sign a request sent at `now`: the current one and those still in their overlap. */
export function activeSigningSecrets(secrets: readonly StoredSigningSecret[], now: Date): StoredSigningSecret[] {
  return secrets.filter((s) => s.activeUntil === null || Date.parse(s.activeUntil) > now.getTime());
}

/** The secrets that still sign at `now`, newest first, without the secrets themselves. */
export function signingSecretViews(stored: readonly StoredSigningSecret[], now = new Date()): SigningSecretView[] {
  return activeSigningSecrets(stored, now).map(({ id, prefix, createdAt, activeUntil }) => ({ id, prefix, createdAt, activeUntil }));
}
