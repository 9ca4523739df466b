import { z } from "zod";
import { requiredText } from "./common-fields";
import type { AuthMethodModule } from "./types";

// RFC 7617 §2: neither part may contain control characters; the user-id may not contain a colon.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

const basicSchema = z.object({
  username: requiredText("Username")
    .refine((value) => !value.includes(":"), "Username cannot contain a colon (:)")
    .refine((value) => !CONTROL_CHARACTER.test(value), "Username cannot contain control characters"),
  // Not trimmed: spaces can be part of a password.
  password: z
    .string({ error: "Password is required" })
    .min(1, "Password is required")
    .refine((value) => !CONTROL_CHARACTER.test(value), "Password cannot contain control characters"),
});

export type BasicParams = z.output<typeof basicSchema>;

/** `Basic base64(user:pass)` over the UTF-8 bytes (RFC 7617 §2.1, charset="UTF-8"). */
export function basicCredentials(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

export const basicMethod = {
  method: "basic",
  label: "HTTP Basic",
  description: "Sends a username and password in the Authorization header (HTTP Basic authentication).",
  schema: basicSchema,
  secretFields: ["password"],
  fields: [
    {
      name: "username",
      label: "Username",
      help: "The user name the receiving site expects. It cannot contain a colon.",
      kind: "text",
      required: true,
    },
    {
      name: "password",
      label: "Password",
      help: "Sent with every request, base64-encoded (not encrypted): use an https:// URL.",
      kind: "secret",
      required: true,
    },
  ],
  async authorize(request, params) {
    return {
      ...request,
      headers: { ...request.headers, authorization: basicCredentials(params.username, params.password) },
    };
  },
  async explain(_sent, params) {
    return {
      summary: "Authorization: Basic with base64 of username:password (the password is not shown).",
      items: [{ key: "username", label: "Username", value: params.username, format: "text" }],
    };
  },
} satisfies AuthMethodModule<BasicParams>;
