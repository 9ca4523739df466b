import { isDeepStrictEqual } from "node:util";
import type { SecretBox } from "../secrets";
import { isEncrypted } from "../secrets";
import type { AuthMethod } from "./method-names";
import { authMethodModule } from "./registry";

/** Tokens the OAuth methods keep with the site (DESIGN §2); secret whatever the method. */
export const TOKEN_FIELDS = ["access_token", "refresh_token"] as const;
/** Everything the token cache keeps with the site (lib/oauth/site-token.ts). */
export const TOKEN_STATE_FIELDS = [...TOKEN_FIELDS, "expires_at", "obtained_at"] as const;

/** The parameters a user configured, without the cached token state. */
export function withoutTokenState(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(params).filter(([key]) => !(TOKEN_STATE_FIELDS as readonly string[]).includes(key)),
  );
}

function secretFieldsOf(method: AuthMethod): readonly string[] {
  return [...authMethodModule(method).secretFields, ...TOKEN_FIELDS];
}

/** Encrypts a method's secret fields for storage; other fields are kept as they are. */
export function sealParams(method: AuthMethod, params: Record<string, unknown>, box: SecretBox) {
  const sealed: Record<string, unknown> = { ...params };
  for (const field of secretFieldsOf(method)) {
    const value = sealed[field];
    if (typeof value === "string" && value !== "" && !isEncrypted(value)) sealed[field] = box.encrypt(value);
  }
  return sealed;
}

/** Decrypts a method's secret fields, for signing. */
export function openParams(method: AuthMethod, stored: Record<string, unknown>, box: SecretBox) {
  const opened: Record<string, unknown> = { ...stored };
  for (const field of secretFieldsOf(method)) {
    const value = opened[field];
    if (isEncrypted(value)) opened[field] = box.decrypt(value);
  }
  return opened;
}

/** What may leave the server: every field but the secrets, and which secrets are set. */
export function redactParams(method: AuthMethod, stored: Record<string, unknown>) {
  const secretFields = secretFieldsOf(method);
  const params: Record<string, unknown> = {};
  const secretsSet: Record<string, boolean> = {};
  for (const [field, value] of Object.entries(stored)) {
    if (secretFields.includes(field)) secretsSet[field] = value !== undefined && value !== null && value !== "";
    else params[field] = value;
  }
  for (const field of authMethodModule(method).secretFields) secretsSet[field] ??= false;
  return { params, secretsSet };
}

/**
 * Parameters entered for `method`, each blank secret taken from the stored ones when the method is
 * unchanged: secrets never go back to the browser, so an edit form cannot resend them.
 */
export function withStoredSecrets(method: AuthMethod, incoming: Record<string, unknown>, stored: { method: AuthMethod; params: Record<string, unknown> } | null) {
  if (!stored || stored.method !== method) return incoming;
  const params = { ...incoming };
  for (const field of authMethodModule(method).secretFields) {
    const value = incoming[field];
    if (value === undefined || value === null || value === "") params[field] = stored.params[field];
  }
  return params;
}

/**
 * What to store for checked parameters: the stored ciphertexts and cached token when nothing
 * changed, else the new parameters sealed (a change of how the site authenticates drops its tokens).
 */
export function paramsToStore(
  stored: { authMethod: AuthMethod; authParams: Record<string, unknown> } | null,
  next: { authMethod: AuthMethod; authParams: Record<string, unknown> },
  box: SecretBox,
): { authParams: Record<string, unknown>; changed: boolean } {
  const storedParams = stored && withoutTokenState(openParams(stored.authMethod, stored.authParams, box));
  const changed =
    !stored ||
    next.authMethod !== stored.authMethod ||
    !isDeepStrictEqual(next.authParams, authMethodModule(stored.authMethod).schema.safeParse(storedParams).data);
  return { changed, authParams: changed ? sealParams(next.authMethod, next.authParams, box) : stored.authParams };
}
