import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Actor } from "../backoffice-auth/actor";
import type { Database } from "../db";
import { trustedSites } from "../db/schema";
import { ConflictError } from "../errors";
import type { SecretBox } from "../secrets";
import { getSiteOrThrow } from "../trusted-sites/get-site";
import { parseOrThrow } from "../validation";
import { rotateSigningSecretSchema, type SigningSecretView } from "./schema";
import { generateSigningSecret } from "./signing-secret-format";
import { activeSigningSecrets, signingSecretViews, type StoredSigningSecret } from "./stored-signing-secret";

const HOUR_MS = 3_600_000;

/** The new secret, in clear this once, and the site's secrets as they now sign. */
export interface NewSigningSecret {
  secret: string;
  secrets: SigningSecretView[];
}

/** Turns signing on: the site's first secret. A site that already signs is a 409 (rotate instead). */
export async function enableSigning(db: Database, box: SecretBox, actor: Actor, siteId: string, now = new Date()): Promise<NewSigningSecret> {
  return changeSecrets(db, siteId, now, async (tx, current) => {
    if (current.length > 0) throw new ConflictError("The site already signs its requests: rotate the secret instead");
    const { secret, fresh } = newSecret(box, now);
    await recordAuditEvent(tx, { actor, action: "site.signing_enabled", siteId, details: { secret: fresh.prefix } });
    return { stored: [fresh], secret };
  });
}

/**
 * A new secret signs from now on; the current one goes on signing beside it until the overlap ends
 * (`overlapHours`, default 24; 0 ends it at once), so receivers can switch without refusing anything.
 * Secrets whose overlap has ended are dropped.
 */
export async function rotateSigningSecret(
  db: Database,
  box: SecretBox,
  actor: Actor,
  siteId: string,
  input: unknown,
  now = new Date(),
): Promise<NewSigningSecret> {
  const { overlapHours } = parseOrThrow(rotateSigningSecretSchema, input);
  return changeSecrets(db, siteId, now, async (tx, current) => {
    if (current.length === 0) throw new ConflictError("The site does not sign its requests: turn signing on first");
    const until = new Date(now.getTime() + overlapHours * HOUR_MS).toISOString();
    const kept = current
      .map((s) => (s.activeUntil === null || s.activeUntil > until ? { ...s, activeUntil: until } : s))
      .filter((s) => Date.parse(s.activeUntil!) > now.getTime());
    const { secret, fresh } = newSecret(box, now);
    await recordAuditEvent(tx, {
      actor,
      action: "site.signing_rotated",
      siteId,
      details: { secret: fresh.prefix, overlapHours, previousActiveUntil: until },
    });
    return { stored: [fresh, ...kept], secret };
  });
}

/** Turns signing off at once: every secret is forgotten and requests go out unsigned. */
export async function disableSigning(db: Database, actor: Actor, siteId: string, now = new Date()): Promise<SigningSecretView[]> {
  await changeSecrets(db, siteId, now, async (tx, current) => {
    if (current.length === 0) return { stored: [], secret: "" };
    await recordAuditEvent(tx, { actor, action: "site.signing_disabled", siteId });
    return { stored: [], secret: "" };
  });
  return [];
}

function newSecret(box: SecretBox, now: Date) {
  const { secret, prefix } = generateSigningSecret();
  const fresh: StoredSigningSecret = { id: randomUUID(), sealed: box.encrypt(secret), prefix, createdAt: now.toISOString(), activeUntil: null };
  return { secret, fresh };
}

type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];

/** Reads the site's secrets still in use under a row lock, writes what `change` makes of them. */
async function changeSecrets(
  db: Database,
  siteId: string,
  now: Date,
  change: (tx: Tx, current: StoredSigningSecret[]) => Promise<{ stored: StoredSigningSecret[]; secret: string }>,
): Promise<NewSigningSecret> {
  return db.transaction(async (tx) => {
    const site = await getSiteOrThrow(tx, siteId, { forUpdate: true });
    const { stored, secret } = await change(tx, activeSigningSecrets(site.signingSecrets, now));
    // Not an edit of the site's settings: updated_at stays.
    await tx.update(trustedSites).set({ signingSecrets: stored, updatedAt: site.updatedAt }).where(eq(trustedSites.id, siteId));
    return { secret, secrets: signingSecretViews(stored, now) };
  });
}
