import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "@/lib/db/migrate";
import { claimMessage } from "@/lib/delivery/claim-messages";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { migrateBefore } from "../../helpers/migrate-before";

describe("migration 0024 (the claim reads the current attempt off its message)", () => {
  let fresh: TestDatabase | undefined;
  afterAll(async () => {
    await fresh?.drop();
  });

  it("keeps a send an earlier version started (marked on its attempt row) interrupted, and a queued one queued", async () => {
    fresh = await createTestDatabase({ migrated: false });
    await migrateBefore(fresh.sql, "0024_current-attempt-on-message");
    const [site] = await fresh.sql<{ id: string }[]>`
      insert into trusted_sites (name, url, auth_method, status) values ('old', 'https://old.example/', 'none', 'active') returning id`;
    const [customer] = await fresh.sql<{ id: string }[]>`insert into customers (external_id, name) values ('c1', 'C') returning id`;
    const message = async (attempts: number) => {
      const [row] = await fresh!.sql<{ id: string }[]>`
        insert into webhook_messages (site_id, customer_id, action, payload, content_hash, status, attempts, next_attempt_at)
        values (${site!.id}, ${customer!.id}, 'a', '{}', 'h', ${attempts > 1 ? "resent" : "queued"}, ${attempts}, now()) returning id`;
      return row!.id;
    };
    const attempt = (messageId: string, attemptNo: number, status: string, startedAt: Date | null) => fresh!.sql`
      insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, scheduled_at, started_at)
      values (${messageId}, ${site!.id}, ${customer!.id}, 'a', ${attemptNo}, ${status}, now(), ${startedAt?.toISOString() ?? null}::timestamptz)`;
    const startedAt = new Date(Date.now() - 60_000);
    // Started by an earlier version (counted, the start on the attempt row), its worker gone.
    const started = await message(2);
    await attempt(started, 1, "resent", new Date(Date.now() - 120_000));
    await attempt(started, 2, "queued", startedAt);
    // Waiting for its second attempt.
    const waiting = await message(1);
    await attempt(waiting, 1, "resent", new Date(Date.now() - 120_000));
    await attempt(waiting, 2, "queued", null);

    await migrateDatabase(fresh.url);

    const interrupted = await claimMessage(fresh.db, started, randomUUID(), 30_000);
    // (Whether the database restarted since depends on when the test server started: not asserted.)
    expect(interrupted?.attempt).toMatchObject({ attemptNo: 2, interrupted: true, startedAt });
    const queued = await claimMessage(fresh.db, waiting, randomUUID(), 30_000);
    expect(queued?.attempt).toEqual({ attemptNo: 2, interrupted: false, startedAt: null, databaseRestarted: false });
  });
});
