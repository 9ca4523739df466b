import { randomBytes } from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { announceMessageFinished, collectingAnnouncer } from "@/lib/delivery/engine";
import { getRun } from "@/lib/workflows/read-workflows";
import { startRuns } from "@/lib/workflows/run-engine";
import { createWorkflow } from "@/lib/workflows/save-workflow";
import { setWorkflowStatus } from "@/lib/workflows/set-workflow-status";
import { inngest } from "@/inngest/client";
import { continueWorkflowRuns } from "@/inngest/continue-workflow-runs";
import { deliverWebhook } from "@/inngest/deliver-webhook";
import { runWorkflow } from "@/inngest/run-workflow";
import { sweepStrandedMessages } from "@/inngest/sweep-stranded-messages";
import { makeAppDatabase } from "../../helpers/app-database";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertSite, messageRow } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";

const RETRY_MS = 100;
const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
let database: TestDatabase;
let crm: WebhookReceiver;
let backup: WebhookReceiver;
let crmStatus = 200;
let crmSite: string;
let backupSite: string;

beforeAll(async () => {
  vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.1");
  vi.stubEnv("WEBHOOK_RETRY_INTERVAL_MS", String(RETRY_MS));
  vi.stubEnv("APP_ENCRYPTION_KEY", randomBytes(32).toString("base64"));
  database = await createTestDatabase();
  makeAppDatabase(database);
  crm = await startWebhookReceiver(() => ({ status: crmStatus }));
  backup = await startWebhookReceiver(() => ({ status: 200 }));
  crmSite = await insertSite(database.db, { url: crm.url });
  backupSite = await insertSite(database.db, { url: backup.url });
});
afterAll(async () => {
  await crm?.close();
  await backup?.close();
  await database?.drop();
});

let n = 0;
/** trigger → Webhook message to the CRM → on failure → Webhook message to the backup receiver. */
async function activeWorkflow() {
  const workflow = await createWorkflow(database.db, actor, {
    name: `Points to CRM ${++n}`,
    trigger: { event: `point_add_${n}` },
    graph: {
      nodes: [
        { id: "crm", kind: "webhook-message", config: { siteId: crmSite, payload: { points: "{{ event.points }}" } } },
        { id: "fallback", kind: "webhook-message", config: { siteId: backupSite, action: "crm.unreachable", payload: { who: "{{ customer.externalId }}" } } },
      ],
      edges: [
        { source: "trigger", sourceHandle: "next", target: "crm" },
        { source: "crm", sourceHandle: "failure", target: "fallback" },
      ],
    },
  });
  await setWorkflowStatus(database.db, actor, workflow.id, { status: "active" });
  return workflow;
}

const customerEvent = (name: string) => ({
  event: name,
  customer: { id: `cust-${randomBytes(4).toString("hex")}`, name: "Ada Lovelace" },
  data: { points: 120 },
});

/** What POST /api/events does: the runs start in PostgreSQL; their first messages are announced after the commit. */
async function startRun(name: string) {
  const { announcer, queued } = collectingAnnouncer();
  const { runs } = await startRuns(database.db, customerEvent(name), announcer);
  expect(runs).toHaveLength(1);
  return { runId: runs[0]!.id, queued };
}

/** deliver-webhook for one message, sleeps lasting until the next attempt is due; returns the event it announced. */
async function deliver(messageId: string) {
  const sleepUntilDue = async () => {
    const { nextAttemptAt } = await messageRow(database.db, messageId);
    const ms = (nextAttemptAt?.getTime() ?? 0) - Date.now();
    if (ms > 0) await new Promise((r) => setTimeout(r, ms + 5));
    return null;
  };
  const { result, ctx, error } = await new InngestTestEngine({ function: deliverWebhook }).execute({
    events: [{ name: "webhook/message.requested", data: { messageId } }],
    steps: [...[1, 2, 3, 4].map((i) => ({ id: `wait-${i}`, handler: sleepUntilDue })), { id: "announce-finished", handler: () => ({ ids: [] }) }],
  });
  expect(error).toBeUndefined();
  const [stepId, finished] = ctx.step.sendEvent.mock.calls.at(-1)! as [string, { name: string; data: { messageId: string } }];
  expect(stepId).toBe("announce-finished");
  return { result, finished };
}

/** continue-workflow-runs for an event; returns the messages it asked Inngest to deliver. */
async function continueRuns(finished: { name: string; data: { messageId: string } }) {
  const { result, ctx, error } = await new InngestTestEngine({ function: continueWorkflowRuns }).execute({
    events: [{ name: finished.name, data: finished.data }],
    steps: [{ id: "request-delivery", handler: () => ({ ids: [] }) }],
  });
  expect(error).toBeUndefined();
  const sent = ctx.step.sendEvent.mock.calls.flatMap(([, events]) => events as { data: { messageId: string } }[]);
  return { result, requested: sent.map((e) => e.data.messageId) };
}

describe("workflow runs with WEBHOOK_ENGINE=inngest", () => {
  it("a delivered message: deliver-webhook announces it finished, and the run takes success and completes", async () => {
    const workflow = await activeWorkflow();
    const { runId, queued } = await startRun(workflow.triggerEvent);
    expect(queued).toHaveLength(1);
    expect((await getRun(database.db, runId)).nodes).toEqual([expect.objectContaining({ nodeId: "crm", status: "waiting" })]);

    const { result, finished } = await deliver(queued[0]!);
    expect(result).toMatchObject({ outcome: "done" });
    expect(finished).toMatchObject({ name: "webhook/message.finished", data: { messageId: queued[0] } });
    const { requested } = await continueRuns(finished);

    expect(requested).toEqual([]);
    const run = await getRun(database.db, runId);
    expect(run.status).toBe("completed");
    expect(run.nodes).toEqual([expect.objectContaining({ nodeId: "crm", status: "finished", output: "success", messageStatus: "done" })]);
    expect(JSON.parse(crm.arrivals.at(-1)!.body).data).toEqual({ points: 120 });
  });

  it("a message failed after its retries: the run takes failure, its next message is requested and delivered; a repeated event does nothing", async () => {
    const workflow = await activeWorkflow();
    crmStatus = 500;
    try {
      const { runId, queued } = await startRun(workflow.triggerEvent);
      const { result, finished } = await deliver(queued[0]!);
      expect(result).toMatchObject({ outcome: "failed", tries: 5 });

      const first = await continueRuns(finished);
      expect(first.requested).toHaveLength(1);
      const waiting = await getRun(database.db, runId);
      expect(waiting.status).toBe("running");
      expect(waiting.nodes.map((s) => [s.nodeId, s.status, s.output])).toEqual([["crm", "finished", "failure"], ["fallback", "waiting", null]]);
      expect(waiting.nodes[0]!.reason).toBe("The message failed after 5 attempt(s)");

      // Delivered twice, or continued twice: the wait is taken once, nothing is queued again.
      const again = await continueRuns(finished);
      expect(again.requested).toEqual([]);
      expect((await getRun(database.db, runId)).nodes).toHaveLength(2);

      const fallback = await deliver(first.requested[0]!);
      expect(fallback.result).toMatchObject({ outcome: "done" });
      await continueRuns(fallback.finished);
      const run = await getRun(database.db, runId);
      expect(run.status).toBe("completed");
      expect(run.nodes.map((s) => [s.nodeId, s.output, s.messageStatus])).toEqual([["crm", "failure", "failed"], ["fallback", "success", "done"]]);
      expect(JSON.parse(backup.arrivals.at(-1)!.body)).toMatchObject({ type: "crm.unreachable", data: { who: expect.stringMatching(/^cust-/) } });
    } finally {
      crmStatus = 200;
    }
  }, 30_000);

  it("a message that ended before its run could be continued, its event lost, is caught up on by the sweeper", async () => {
    const workflow = await activeWorkflow();
    crmStatus = 500;
    try {
      const { runId, queued } = await startRun(workflow.triggerEvent);
      await deliver(queued[0]!);
      // The webhook/message.finished event never arrives; the next sweep continues the run.
      const { ctx, error } = await new InngestTestEngine({ function: sweepStrandedMessages }).execute({
        steps: [{ id: "announce-continued", handler: () => ({ ids: [] }) }],
      });
      expect(error).toBeUndefined();
      const [stepId, events] = ctx.step.sendEvent.mock.calls[0]! as [string, { name: string; data: { messageId: string } }[]];
      expect(stepId).toBe("announce-continued");
      const run = await getRun(database.db, runId);
      expect(run.nodes.map((s) => [s.nodeId, s.output])).toEqual([["crm", "failure"], ["fallback", null]]);
      expect(events).toEqual([expect.objectContaining({ name: "webhook/message.requested", data: { messageId: run.nodes[1]!.messageId } })]);
    } finally {
      crmStatus = 200;
    }
  }, 30_000);

  it("a cancelled message is announced finished to Inngest (never throwing), and only with the Inngest engine", async () => {
    const send = vi.spyOn(inngest, "send").mockResolvedValue({ ids: ["e1"] });
    try {
      const messageId = crypto.randomUUID();
      await announceMessageFinished(messageId, "local");
      expect(send).not.toHaveBeenCalled();
      await announceMessageFinished(messageId, "inngest");
      expect(send).toHaveBeenCalledWith([expect.objectContaining({ name: "webhook/message.finished", data: { messageId }, id: `message-finished-${messageId}` })]);
      send.mockRejectedValueOnce(new Error("fetch failed"));
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      await expect(announceMessageFinished(messageId, "inngest")).resolves.toBeUndefined();
      expect(warn.mock.calls[0]![0]).toMatch(/continue at the next sweep: sending the event failed \(fetch failed\)/);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("run-workflow: a customer event sent to Inngest starts the runs in one step and requests their messages", async () => {
    const workflow = await activeWorkflow();
    const event = { ...customerEvent(workflow.triggerEvent), idempotencyKey: `evt-${randomBytes(4).toString("hex")}` };
    const execute = () =>
      new InngestTestEngine({ function: runWorkflow }).execute({
        events: [{ name: "customer/event.received", data: event }],
        steps: [{ id: "request-delivery", handler: () => ({ ids: [] }) }],
      });
    const first = await execute();
    expect(first.error).toBeUndefined();
    const { runs } = first.result as { runs: string[] };
    expect(runs).toHaveLength(1);
    const [, events] = first.ctx.step.sendEvent.mock.calls[0]! as [string, { data: { messageId: string } }[]];
    expect(events.map((e) => e.data.messageId)).toEqual([(await getRun(database.db, runs[0]!)).nodes[0]!.messageId]);

    // The same event again (same idempotency key): the same run, nothing requested.
    const again = await execute();
    expect(again.result).toEqual({ runs });
    expect(again.ctx.step.sendEvent).not.toHaveBeenCalled();

    // A malformed event is refused by the trigger's schema before any step runs.
    const bad = await new InngestTestEngine({ function: runWorkflow }).execute({
      events: [{ name: "customer/event.received", data: { event: "point_add", customer: { id: "" } } }],
    });
    expect(bad.error).toMatchObject({ name: "EventValidationError", message: expect.stringContaining("customer.id") });
    expect(bad.ctx.step.run).not.toHaveBeenCalled();
  });
});
