import { z } from "zod";

/*
 * How a site's requests are shaped beyond its URL and authentication: the HTTP method, how the body
 * is encoded and extra headers. Client-safe; shared by the site form, the API, the legacy workflow
 * node (DESIGN §10) and the delivery core that builds the request.
 */

export const HTTP_METHODS = ["POST", "PUT"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const BODY_ENCODINGS = ["json", "form"] as const;
export type BodyEncoding = (typeof BODY_ENCODINGS)[number];

export const bodyEncodingLabels: Record<BodyEncoding, string> = {
  json: "JSON",
  form: "URL-encoded form (application/x-www-form-urlencoded)",
};

/** Headers the delivery core sets itself (or the HTTP client does): an extra header may not replace them. */
const RESERVED_HEADERS = new Set([
  "content-type",
  "content-length",
  "transfer-encoding",
  "connection",
  "host",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A header name a site may set: an HTTP token, not one the delivery sets itself. */
export const headerNameSchema = z
  .string({ error: "Header name is required" })
  .trim()
  .min(1, "Header name is required")
  .max(100, "A header name is at most 100 characters")
  .regex(TOKEN, "A header name is letters, digits and - (no spaces or colons)")
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), { error: "This header is set by the delivery itself" });

/** A header value: bounded, on one line. */
export const headerValueSchema = z
  .string({ error: "Header value is required" })
  .max(2000, "A header value is at most 2000 characters")
  // CR or LF would end the header and let a value inject others.
  .refine((value) => !/[\r\n\0]/.test(value), { error: "A header value cannot contain line breaks" })
  // HTTP sends header values as Latin-1 bytes: a character beyond it would fail every send.
  .refine((value) => !/[^\u0000-\u00ff]/.test(value), { error: "A header value can only use Latin-1 characters (no emoji or CJK)" });

/**
 * An extra header. A secret one (an API key the receiver wants beside the method's credentials) is
 * stored encrypted and never sent back: a blank value on an edit keeps the stored one.
 */
export const extraHeaderSchema = z.object({
  name: headerNameSchema,
  value: headerValueSchema,
  secret: z.boolean({ error: "Secret is true or false" }).default(false),
});
export type ExtraHeader = z.output<typeof extraHeaderSchema>;

export const requestShapeFields = {
  httpMethod: z.enum(HTTP_METHODS, { error: "The HTTP method is POST or PUT" }).default("POST"),
  bodyEncoding: z.enum(BODY_ENCODINGS, { error: "The body encoding is JSON or URL-encoded form" }).default("json"),
  headers: z
    .array(extraHeaderSchema)
    .max(20, "At most 20 extra headers")
    .default([])
    .superRefine((headers, ctx) => {
      const seen = new Set<string>();
      headers.forEach((header, i) => {
        const name = header.name.toLowerCase();
        if (seen.has(name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${header.name}" is listed twice` });
        seen.add(name);
      });
    }),
};

export interface RequestShape {
  httpMethod: HttpMethod;
  bodyEncoding: BodyEncoding;
  headers: ExtraHeader[];
}

/** The content type that goes with an encoding, offered when the encoding changes. */
export const defaultContentType: Record<BodyEncoding, string> = {
  json: "application/json",
  form: "application/x-www-form-urlencoded",
};
