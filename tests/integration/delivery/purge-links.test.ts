import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { webhookAttempts, webhookMessages, workflowNodeRuns, workflowRuns, workflowVersions, workflows } from "@/lib/db/schema";
import type { Announcer } from "@/lib/delivery/engine";
import { enqueue } from "@/lib/delivery/enqueue";
import { resendMessage } from "@/lib/delivery/operator/resend-message";
import { RETENTION_MS } from "@/lib/delivery/policy/delivery-rules";
import { purgeExpired } from "@/lib/delivery/purge-expired";
import { deleteSite } from "@/lib/trusted-sites/delete-site";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertCustomer, insertSite } from "../../helpers/delivery-fixtures";
import { deliver } from "../../helpers/finish-message";

// The links to a message (a resend's `resent_from_message_id`, a node run's `message_id`) have no
// foreign key (schema.ts): the code that deletes messages nulls them itself.

const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
let database: TestDatabase;
let customerId: string;
let workflowRunId: string;
beforeAll(async () => {
  database = await createTestDatabase();
  customerId = await insertCustomer(database.db);
  const [workflow] = await database.db.insert(workflows).values({ name: "links", triggerEvent: "purchase" }).returning();
  const [version] = await database.db
    .insert(workflowVersions)
    .values({ workflowId: workflow!.id, version: 1, trigger: {}, graph: {}, createdBy: "test" })
    .returning();
  const [run] = await database.db
    .insert(workflowRuns)
    .values({ workflowId: workflow!.id, versionId: version!.id, event: "purchase", eventData: {}, customerId, status: "completed" })
    .returning();
  workflowRunId = run!.id;
});
afterAll(() => database?.drop());

const now = new Date();
const expired = new Date(now.getTime() - RETENTION_MS - 60_000);

/** A delivered message, finished (and created) at `at`, its attempts too; a resend of `resentFromMessageId` if given. */
async function finishedMessage(siteId: string, at: Date, resentFromMessageId?: string) {
  const { id } = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: {} });
  await deliver(database.db, id);
  await database.db.update(webhookMessages).set({ createdAt: at, finishedAt: at, resentFromMessageId }).where(eq(webhookMessages.id, id));
  await database.db.update(webhookAttempts).set({ createdAt: at }).where(eq(webhookAttempts.messageId, id));
  return id;
}

async function nodeRunFor(messageId: string) {
  const nodeId = `node-${messageId}`;
  await database.db.insert(workflowNodeRuns).values({ runId: workflowRunId, nodeId, status: "finished", output: "success", messageId });
  return nodeId;
}

async function linkOfNodeRun(nodeId: string) {
  const [row] = await database.db.select({ messageId: workflowNodeRuns.messageId }).from(workflowNodeRuns).where(eq(workflowNodeRuns.nodeId, nodeId));
  return row!.messageId;
}

async function resentFrom(id: string) {
  const [row] = await database.db.select({ from: webhookMessages.resentFromMessageId }).from(webhookMessages).where(eq(webhookMessages.id, id));
  return row?.from;
}

describe("the purge and the links to what it deletes", () => {
  it("nulls a kept resend's and a node run's link to a purged message, and leaves the links to kept messages", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const original = await finishedMessage(siteId, expired);
    const purgedResend = await finishedMessage(siteId, expired, original);
    const keptResend = await finishedMessage(siteId, now, original);
    const keptsResend = await finishedMessage(siteId, now, keptResend);
    const purgedNode = await nodeRunFor(original);
    const keptNode = await nodeRunFor(keptResend);

    const purged = await purgeExpired(database.db, { now, batchSize: 10 });

    expect(purged.messages).toBe(2);
    const left = await database.db.select({ id: webhookMessages.id }).from(webhookMessages).where(inArray(webhookMessages.id, [original, purgedResend]));
    expect(left).toEqual([]);
    expect(await resentFrom(keptResend)).toBeNull();
    expect(await resentFrom(keptsResend)).toBe(keptResend);
    expect(await linkOfNodeRun(purgedNode)).toBeNull();
    expect(await linkOfNodeRun(keptNode)).toBe(keptResend);
  });

  it("leaves a message whose resend is being made to a later purge, so the resend never links to a deleted message", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const original = await finishedMessage(siteId, expired);
    let inside!: () => void;
    const resendInside = new Promise<void>((resolve) => (inside = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const holding: Announcer = {
      inTransaction: async () => {
        inside();
        await released;
      },
      afterCommit: async () => {},
    };

    const resending = resendMessage(database.db, original, actor, holding);
    await resendInside;
    const during = await purgeExpired(database.db, { now, batchSize: 10 });
    release();
    const resent = await resending;

    expect(during.messages).toBe(0);
    expect(await resentFrom(resent.id)).toBe(original);
    expect((await purgeExpired(database.db, { now, batchSize: 10 })).messages).toBe(1);
    expect(await resentFrom(original)).toBeUndefined();
    expect(await resentFrom(resent.id)).toBeNull();
  });
});

describe("a site's deletion and the links to its messages", () => {
  it("nulls the node runs' links to the messages it deletes, and no other", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const otherSiteId = await insertSite(database.db, { url: "https://other.example/" });
    const doomedNode = await nodeRunFor(await finishedMessage(siteId, now));
    const otherMessage = await finishedMessage(otherSiteId, now);
    const otherNode = await nodeRunFor(otherMessage);

    await deleteSite(database.db, actor, siteId);

    expect(await linkOfNodeRun(doomedNode)).toBeNull();
    expect(await linkOfNodeRun(otherNode)).toBe(otherMessage);
  });
});
