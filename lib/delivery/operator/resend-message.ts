import { and, asc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Actor } from "../../backoffice-auth/actor";
import { recordAuditEvent } from "../../audit/record-audit-event";
import type { Database } from "../../db";
import { webhookMessages } from "../../db/schema";
import { ConflictError, NotFoundError } from "../../errors";
import { parseOrThrow } from "../../validation";
import { IN_FLIGHT } from "../policy/delivery-rules";
import { engineAnnouncer, type Announcer } from "../engine";
import { checkSiteAndCustomer, queueMessages } from "../enqueue";
import { resendFailedSchema, type ResendFailedFilter } from "../../webhooks/logs-query";

/** The most messages one "resend failed" request resends; the rest stay failed for another request. */
export const RESEND_FAILED_CAP = 10_000;
/** Rows per INSERT when resending many. */
const BATCH = 500;

/**
 * Resends a finished (`done` or `failed`) message: a NEW message with the same site, customer,
 * action and payload, linked to the original, queued through enqueue's path and audited. Refused
 * (409) while the message is still in flight or when its site is not active.
 */
export async function resendMessage(db: Database, id: string, actor: Actor, announcer: Announcer = engineAnnouncer()) {
  if (!z.uuid().safeParse(id).success) throw new NotFoundError("No such message");
  const resent = await db.transaction(async (tx) => {
    // Locked as a foreign key's check would: the purge skips it until the resend, which links to it, commits.
    const [original] = await tx.select().from(webhookMessages).where(eq(webhookMessages.id, id)).for("key share");
    if (!original) throw new NotFoundError("No such message");
    if ((IN_FLIGHT as readonly string[]).includes(original.status)) {
      throw new ConflictError("This message is still being delivered: resend it once it is done or has failed");
    }
    await checkSiteAndCustomer(tx, original);
    const [resent] = await queueMessages(tx, [resendOf(original)], announcer.inTransaction);
    await recordAuditEvent(tx, {
      actor,
      action: "messages.resent",
      siteId: original.siteId,
      details: { count: 1, messageIds: [original.id], resentAs: [resent!.id] },
    });
    return { id: resent!.id, status: "queued" as const, resentFromMessageId: original.id };
  });
  await announcer.afterCommit([{ id: resent.id }]);
  return resent;
}

/**
 * How many failed messages `resendFailedMessages` would resend for this filter: failed messages of
 * the site, created in the range, not resent before. `count` is capped at RESEND_FAILED_CAP.
 */
export async function countFailedToResend(db: Database, filter: unknown) {
  const f = parseOrThrow(resendFailedSchema, filter);
  const [row] = await db
    .select({ matching: sql<number>`count(*)::int` })
    .from(sql`(${db.select({ one: sql`1` }).from(webhookMessages).where(failedToResend(f)).limit(RESEND_FAILED_CAP + 1)}) as capped`);
  const matching = row?.matching ?? 0;
  return { count: Math.min(matching, RESEND_FAILED_CAP), capped: matching > RESEND_FAILED_CAP, cap: RESEND_FAILED_CAP };
}

/**
 * Resends every failed message `countFailedToResend` counts (oldest first, at most
 * RESEND_FAILED_CAP), in one transaction, audited once. Runs of it for one site take turns, so a
 * message is never resent twice by two requests at once.
 */
export async function resendFailedMessages(db: Database, filter: unknown, actor: Actor, announcer: Announcer = engineAnnouncer()) {
  const f = parseOrThrow(resendFailedSchema, filter);
  const resent = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('resend-failed'), hashtext(${f.siteId}))`);
    await checkSiteAndCustomer(tx, { siteId: f.siteId });
    const originals = await tx
      .select()
      .from(webhookMessages)
      .where(failedToResend(f))
      .orderBy(asc(webhookMessages.createdAt), asc(webhookMessages.id))
      .limit(RESEND_FAILED_CAP + 1)
      .for("key share");
    const chosen = originals.slice(0, RESEND_FAILED_CAP);
    const resentAs: string[] = [];
    for (let i = 0; i < chosen.length; i += BATCH) {
      const rows = await queueMessages(tx, chosen.slice(i, i + BATCH).map(resendOf), announcer.inTransaction);
      resentAs.push(...rows.map((r) => r.id));
    }
    if (chosen.length > 0) {
      await recordAuditEvent(tx, {
        actor,
        action: "messages.resent",
        siteId: f.siteId,
        details: { count: chosen.length, filter: { ...f }, capped: originals.length > RESEND_FAILED_CAP },
      });
    }
    return { count: resentAs.length, capped: originals.length > RESEND_FAILED_CAP, cap: RESEND_FAILED_CAP, resentAs };
  });
  await announcer.afterCommit(resent.resentAs.map((id) => ({ id })));
  return { count: resent.count, capped: resent.capped, cap: resent.cap };
}

function failedToResend(f: ResendFailedFilter): SQL | undefined {
  return and(
    eq(webhookMessages.siteId, f.siteId),
    eq(webhookMessages.status, "failed"),
    f.customerId ? eq(webhookMessages.customerId, f.customerId) : undefined,
    f.action ? eq(webhookMessages.action, f.action) : undefined,
    f.from ? gte(webhookMessages.createdAt, new Date(f.from)) : undefined,
    f.to ? lt(webhookMessages.createdAt, new Date(f.to)) : undefined,
    sql`not exists (select 1 from ${webhookMessages} resends where resends.resent_from_message_id = ${webhookMessages.id})`,
  );
}

function resendOf(original: typeof webhookMessages.$inferSelect) {
  return {
    siteId: original.siteId,
    customerId: original.customerId,
    action: original.action,
    payload: original.payload,
    resentFromMessageId: original.id,
  };
}
