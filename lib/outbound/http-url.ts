import { z } from "zod";

/**
 * An absolute http(s) URL that a request is sent to: a site's URL or a token URL. Client-safe, so
 * the form shows the same messages. Credentials in the URL are refused: fetch does not send them,
 * and the URL is shown in the Logs.
 */
export function httpUrl(label: string) {
  return z
    .string({ error: `${label} is required` })
    .trim()
    .min(1, `${label} is required`)
    .superRefine((value, ctx) => {
      const url = parseUrl(value);
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
        ctx.addIssue({ code: "custom", message: `${label} must be an http:// or https:// URL` });
      } else if (url.username || url.password) {
        ctx.addIssue({
          code: "custom",
          message: `${label} must not contain a user name or password (they would be shown in the Logs and are not sent): use the HTTP Basic authentication method for them`,
        });
      }
    });
}

export function isHttpUrl(value: string): boolean {
  const url = parseUrl(value);
  return url?.protocol === "http:" || url?.protocol === "https:";
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}
