import { z } from "zod";
import { headerNameSchema, headerValueSchema } from "../trusted-sites/request-shape";
import type { AuthMethodModule } from "./types";

const staticHeaderSchema = z.object({
  headerName: headerNameSchema,
  // Not trimmed: a receiver compares the value byte for byte.
  headerValue: headerValueSchema.min(1, "Header value is required"),
});

export type StaticHeaderParams = z.output<typeof staticHeaderSchema>;

/** One header with a secret value on every request: `X-Api-Key: …`, `Authorization: Bearer …`. */
export const staticHeaderMethod = {
  method: "static-header",
  label: "Static header",
  description: "Sends one header with a fixed secret value on every request, such as X-Api-Key or Authorization: Bearer.",
  schema: staticHeaderSchema,
  secretFields: ["headerValue"],
  fields: [
    {
      name: "headerName",
      label: "Header name",
      help: "As the receiving site names it, for example X-Api-Key or Authorization.",
      kind: "text",
      required: true,
      placeholder: "X-Api-Key",
    },
    {
      name: "headerValue",
      label: "Header value",
      help: "Sent as is with every request (include a scheme such as \"Bearer \" if the site expects one): use an https:// URL.",
      kind: "secret",
      required: true,
    },
  ],
  async authorize(request, params) {
    // Header names are case-insensitive: replace an extra header of the same name rather than send both.
    const name = params.headerName.toLowerCase();
    return { ...request, headers: { ...request.headers, [name]: params.headerValue } };
  },
  async explain(_sent, params) {
    return {
      summary: `Sends the header ${params.headerName} with its stored value (not shown).`,
      items: [{ key: "headerName", label: "Header", value: params.headerName.toLowerCase(), format: "text" }],
    };
  },
} satisfies AuthMethodModule<StaticHeaderParams>;
