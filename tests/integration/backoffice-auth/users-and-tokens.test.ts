import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken, listApiTokens, revokeApiToken, verifyApiToken } from "@/lib/api-tokens/manage-api-tokens";
import { createBackofficeAuth, type BackofficeAuth } from "@/lib/backoffice-auth/auth";
import { createUser, ensureFirstUser } from "@/lib/backoffice-auth/create-user";
import { recordFailedSignIn, signInLocked } from "@/lib/backoffice-auth/sign-in-limit";
import { accounts, users } from "@/lib/db/schema";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { readEnv } from "@/lib/env";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";

let database: TestDatabase;
let auth: BackofficeAuth;
beforeAll(async () => {
  database = await createTestDatabase();
  auth = createBackofficeAuth(database.db, readEnv({ AUTH_SECRET: "integration-test-secret-0123456789abcdef" }));
});
afterAll(() => database.drop());

describe("backoffice users", () => {
  it("creates the first user from ADMIN_EMAIL/ADMIN_PASSWORD once, with a hashed password that signs in", async () => {
    expect(await ensureFirstUser(auth, { email: "Admin@Example.com", password: "a long enough password" })).toBe("created");
    expect(await ensureFirstUser(auth, { email: "other@example.com", password: "another long password" })).toBe("exists");
    expect((await database.db.select().from(users)).map((u) => u.email)).toEqual(["admin@example.com"]);
    const [account] = await database.db.select().from(accounts);
    expect(account!.password).not.toContain("a long enough password");

    const signedIn = await auth.api.signInEmail({ body: { email: "admin@example.com", password: "a long enough password" } });
    expect(signedIn.user.email).toBe("admin@example.com");
    await expect(
      auth.api.signInEmail({ body: { email: "admin@example.com", password: "the wrong password" } }),
    ).rejects.toThrow();
  });

  it("refuses a duplicate email and a short password", async () => {
    await expect(createUser(auth, { email: "admin@example.com", password: "yet another password" })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(createUser(auth, { email: "new@example.com", password: "short" })).rejects.toThrow(/at least 12/);
  });

  it("keeps public sign-up closed", async () => {
    await expect(
      auth.api.signUpEmail({ body: { email: "intruder@example.com", password: "a long enough password", name: "x" } }),
    ).rejects.toThrow();
  });

  it("locks an account for the rest of the minute after 5 failed sign-ins, case-insensitively", async () => {
    const now = Date.now();
    const locked = [];
    for (let i = 0; i < 6; i++) {
      locked.push(await signInLocked(database.db, "Ops@x.io", now));
      await recordFailedSignIn(database.db, i % 2 ? "Ops@x.io" : "ops@x.io", now);
    }
    expect(locked).toEqual([false, false, false, false, false, true]);
    expect(await signInLocked(database.db, "someone-else@x.io", now)).toBe(false);
    expect(await signInLocked(database.db, "ops@x.io", now + 61_000)).toBe(false);
  });
});

describe("API tokens", () => {
  it("verify while active, record their use, and stop working once revoked", async () => {
    const created = await createApiToken(database.db, { name: "Workflow engine" }, null);
    expect(created.token).toMatch(/^tsw_[A-Za-z0-9_-]{43}$/);
    expect(await verifyApiToken(database.db, created.token)).toEqual({ id: created.id, name: "Workflow engine" });
    expect(await verifyApiToken(database.db, created.token.slice(0, -1) + "x")).toBeNull();
    const [listed] = await listApiTokens(database.db);
    expect(listed!.lastUsedAt).toBeInstanceOf(Date);
    // Used again within the minute: the use is not written again (one write per message otherwise).
    expect(await verifyApiToken(database.db, created.token)).toEqual({ id: created.id, name: "Workflow engine" });
    expect((await listApiTokens(database.db))[0]!.lastUsedAt).toEqual(listed!.lastUsedAt);
    await database.sql`update api_tokens set last_used_at = now() - interval '2 minutes' where id = ${created.id}`;
    await verifyApiToken(database.db, created.token);
    // Older than the minute: written again (it was set 2 minutes back).
    expect(Date.now() - (await listApiTokens(database.db))[0]!.lastUsedAt!.getTime()).toBeLessThan(60_000);
    expect(JSON.stringify(listed)).not.toContain(created.token);

    const revoked = await revokeApiToken(database.db, created.id);
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await verifyApiToken(database.db, created.token)).toBeNull();
    expect((await revokeApiToken(database.db, created.id)).revokedAt).toEqual(revoked.revokedAt);
  });

  it("report unknown ids as not found", async () => {
    await expect(revokeApiToken(database.db, "00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeApiToken(database.db, "nope")).rejects.toBeInstanceOf(NotFoundError);
  });
});
