import type { AuthMethod } from "@/lib/auth-methods/method-names";
import type { MethodChoice } from "@/lib/trusted-sites/method-choices";

/*
 * An authentication method's parameters as a form holds them (strings, and key-value rows for
 * key-value fields), shared by the site form and the legacy workflow node: how stored parameters
 * become form values, and form values the request body.
 */

export interface KeyValueRow {
  key: string;
  value: string;
}

export interface AuthFormValues {
  authMethod: AuthMethod;
  authParams: Record<string, string>;
  keyValues: Record<string, KeyValueRow[]>;
}

/** Form values for `method` from stored parameters (secrets are never among them). */
export function authFormValues(method: MethodChoice, stored: Record<string, unknown> = {}): AuthFormValues {
  const authParams: Record<string, string> = {};
  const keyValues: Record<string, KeyValueRow[]> = {};
  for (const field of method.fields) {
    const value = stored[field.name];
    if (field.kind === "key-values") {
      const entries = Object.entries((value as Record<string, unknown> | undefined) ?? {});
      keyValues[field.name] = entries.map(([key, v]) => ({ key, value: typeof v === "string" ? v : JSON.stringify(v) }));
    } else {
      authParams[field.name] = value === undefined || value === null ? String(field.defaultValue ?? "") : String(value);
    }
  }
  return { authMethod: method.method, authParams, keyValues };
}

/** The API's `authParams`: only the chosen method's fields; an untouched stored secret is left out (kept). */
export function authRequestParams(values: AuthFormValues, method: MethodChoice, secretsSet: Record<string, boolean> = {}) {
  const authParams: Record<string, unknown> = {};
  for (const field of method.fields) {
    if (field.kind === "key-values") {
      authParams[field.name] = Object.fromEntries(
        (values.keyValues?.[field.name] ?? []).filter((r) => r.key.trim() !== "").map((r) => [r.key.trim(), jsonOrText(r.value)]),
      );
      continue;
    }
    const value = values.authParams?.[field.name] ?? "";
    const keepStored = method.secretFields.includes(field.name) && value === "" && secretsSet[field.name];
    if (keepStored) continue;
    if (value !== "" || field.required) authParams[field.name] = value;
  }
  return authParams;
}

/** A key-value entry is JSON when it parses (42, true, {"a":1}); anything else is sent as text. */
function jsonOrText(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
