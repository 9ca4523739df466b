import { z } from "zod";
import type { AuthMethodModule } from "./types";

export type NoneParams = Record<string, never>;

/** No authentication: the request goes out as built (the receiver trusts the network or the URL). */
export const noneMethod = {
  method: "none",
  label: "None",
  description: "Send requests without credentials. Use only for receivers that authenticate by other means.",
  schema: z.object({}).strict() as unknown as z.ZodType<NoneParams>,
  secretFields: [],
  fields: [],
  authorize: async (request) => ({ ...request, headers: { ...request.headers } }),
} satisfies AuthMethodModule<NoneParams>;
