import { z } from "zod";

/** What a user enters to create an API token (the form and the API share it). */
export const newApiTokenSchema = z.object({
  name: z.string({ error: "Name is required" }).trim().min(1, "Name is required").max(80, "Name must be at most 80 characters"),
});

/** An API token as listed: never the token itself, which exists in clear only when created. */
export interface ListedApiToken {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}
