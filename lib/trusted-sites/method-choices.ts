import { LEGACY_AUTH_METHODS } from "../workflows/nodes/kinds";
import { authMethods } from "../auth-methods/registry";
import type { AuthMethod } from "../auth-methods/method-names";
import type { FieldSpec } from "../auth-methods/types";

/** What the site form needs to know of each method: plain data, safe to send to the browser. */
export interface MethodChoice {
  method: AuthMethod;
  label: string;
  description: string;
  fields: FieldSpec[];
  secretFields: string[];
  /** The form offers "Test token endpoint". */
  canTestTokenEndpoint: boolean;
}

export function methodChoices(): MethodChoice[] {
  return Object.values(authMethods).map((m) => ({
    method: m.method,
    label: m.label,
    description: m.description,
    fields: [...m.fields],
    secretFields: [...m.secretFields],
    canTestTokenEndpoint: "canTestTokenEndpoint" in m && m.canTestTokenEndpoint === true,
  }));
}

export function methodLabel(method: AuthMethod): string {
  return authMethods[method].label;
}

/** The methods a legacy workflow node offers (kinds.ts says which and why). */
export function legacyMethodChoices(): MethodChoice[] {
  return methodChoices().filter((m) => (LEGACY_AUTH_METHODS as readonly string[]).includes(m.method));
}
