import { z } from "zod";
import { httpUrl, integerInRange, requiredText } from "@/lib/auth-methods/common-fields";
import type { FieldSpec } from "@/lib/auth-methods/types";
import { TOKEN_REQUEST_ENCODINGS } from "./token-request";

/**
 * The parameters shared by the methods that fetch a token themselves at a token URL
 * (client credentials, private-key JWT): schema pieces and form fields.
 */

export function tokenEndpointSchema(maxTokenExpirationMinutes: number) {
  return {
    tokenUrl: httpUrl("Token URL"),
    contentType: z.enum(TOKEN_REQUEST_ENCODINGS, {
      error: "Content type must be application/x-www-form-urlencoded or application/json",
    }),
    tokenExpiration: integerInRange("Token expiration", 1, maxTokenExpirationMinutes),
    clientId: requiredText("Client ID"),
    scope: optionalText(),
  };
}

/** An optional text: blank means absent. */
export function optionalText() {
  return z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined));
}

export const tokenUrlField: FieldSpec = {
  name: "tokenUrl",
  label: "Token URL",
  help: "The provider's token endpoint, where the app exchanges its credentials for an access token.",
  kind: "text",
  required: true,
  placeholder: "https://auth.example.com/oauth2/token",
};

export const contentTypeField: FieldSpec = {
  name: "contentType",
  label: "Token request content type",
  help: "How the token request body is encoded. Standard OAuth servers expect form encoding; choose JSON only if the provider's documentation asks for it.",
  kind: "select",
  required: true,
  options: [
    { value: "application/x-www-form-urlencoded", label: "Form (application/x-www-form-urlencoded)" },
    { value: "application/json", label: "JSON (application/json)" },
  ],
  defaultValue: "application/x-www-form-urlencoded",
};

export function tokenExpirationField(maxMinutes: number): FieldSpec {
  return {
    name: "tokenExpiration",
    label: "Token expiration (minutes)",
    help: `How long an access token is reused before a new one is fetched, 1 to ${maxMinutes} minutes. If the provider says its tokens expire sooner, the provider's expiry wins.`,
    kind: "number",
    required: true,
    defaultValue: 60,
  };
}

export const scopeField: FieldSpec = {
  name: "scope",
  label: "Scope",
  help: "Optional. Space-separated scopes to request, e.g. \"orders:write customers:read\". Leave empty to get the provider's default.",
  kind: "text",
  required: false,
};
