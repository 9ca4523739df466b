import { z } from "zod";
import { ConflictError } from "../errors";
import type { BackofficeAuth } from "./auth";
import { MIN_PASSWORD_LENGTH } from "./auth";

export const newUserSchema = z.object({
  email: z.email("Enter a valid email address").transform((e) => e.toLowerCase()),
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `Password must be at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(128, "Password must be at most 128 characters"),
  name: z.string().trim().min(1).max(100).optional(),
});
export type NewUser = z.input<typeof newUserSchema>;

/** Creates a backoffice user who signs in with email + password (sign-up is closed to the public). */
export async function createUser(auth: BackofficeAuth, input: NewUser) {
  const { email, password, name } = newUserSchema.parse(input);
  const ctx = await auth.$context;
  if (await ctx.internalAdapter.findUserByEmail(email)) {
    throw new ConflictError(`A user with email ${email} already exists`);
  }
  const user = await ctx.internalAdapter.createUser(
    { email, name: name ?? email.split("@")[0]!, emailVerified: true },
    { method: "admin" },
  );
  await ctx.internalAdapter.linkAccount({
    userId: user.id,
    providerId: "credential",
    accountId: user.id,
    password: await ctx.password.hash(password),
  });
  return { id: user.id, email: user.email };
}

/** On start-up: creates ADMIN_EMAIL / ADMIN_PASSWORD as the first user when there is no user yet. */
export async function ensureFirstUser(
  auth: BackofficeAuth,
  admin: { email?: string; password?: string },
): Promise<"created" | "exists" | "not-configured"> {
  if (!admin.email || !admin.password) return "not-configured";
  const ctx = await auth.$context;
  const count = await ctx.adapter.count({ model: "user" });
  if (count > 0) return "exists";
  try {
    await createUser(auth, { email: admin.email, password: admin.password, name: "Administrator" });
    return "created";
  } catch (e) {
    if (e instanceof ConflictError) return "exists"; // another process created it at the same moment
    throw e;
  }
}
