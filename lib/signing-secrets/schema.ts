import { z } from "zod";

/** Client-safe: the rotate form and `POST /api/trusted-sites/{id}/signing-secrets/rotate`. */
export const DEFAULT_OVERLAP_HOURS = 24;
export const MAX_OVERLAP_HOURS = 24 * 7;

/** Strict: a body meant for another route (unknown fields) rotates nothing. */
export const rotateSigningSecretSchema = z.strictObject({
  overlapHours: z
    .number({ error: "The overlap is a number of hours" })
    .min(0, "The overlap is 0 hours or more")
    .max(MAX_OVERLAP_HOURS, `The overlap is at most ${MAX_OVERLAP_HOURS} hours (7 days)`)
    .default(DEFAULT_OVERLAP_HOURS),
});
export type RotateSigningSecretInput = z.input<typeof rotateSigningSecretSchema>;

/** A signing secret as it may leave the server: never the secret, only its first characters. */
export interface SigningSecretView {
  id: string;
  prefix: string;
  createdAt: string;
  /** null: the current secret, signing until it is rotated or signing is turned off. */
  activeUntil: string | null;
}
