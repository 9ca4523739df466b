import type { BasicParams } from "@/lib/auth-methods/basic";

const valid: BasicParams = { username: "webhooks-sender", password: "s3cret pässwörd:with colon" };

export const fixture = {
  valid,
  invalid: [
    { field: "username", value: "" },
    { field: "username", value: "user:name" },
    { field: "password", value: "" },
    { field: "password", value: undefined },
  ],
  secretValues: [valid.password],
};
