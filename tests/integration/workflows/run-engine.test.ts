import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { customers, webhookMessages, workflowRuns } from "@/lib/db/schema";
import { engineAnnouncer } from "@/lib/delivery/engine";
import { getMessage } from "@/lib/webhooks/read-messages";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { ValidationError } from "@/lib/errors";
import { createSecretBox } from "@/lib/secrets";
import { setSiteStatus } from "@/lib/trusted-sites/set-site-status";
import type { WorkflowInput } from "@/lib/workflows/definition";
import { getRun } from "@/lib/workflows/read-workflows";
import { startRuns } from "@/lib/workflows/run-engine";
import { createWorkflow, updateWorkflow } from "@/lib/workflows/save-workflow";
import { setWorkflowStatus } from "@/lib/workflows/set-workflow-status";
import { startWorkflowContinuations, type WorkflowContinuations } from "@/lib/workflows/workflow-continuations";
import { metrics } from "@/lib/observability/metrics";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertSite, waitFor } from "../../helpers/delivery-fixtures";
import { parseSamples, sampleValue } from "../../helpers/prometheus-text";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";

const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
const local = engineAnnouncer("local");
let database: TestDatabase;
let worker: LocalWorker;
let continuations: WorkflowContinuations | undefined;
let crm: WebhookReceiver;
let backup: WebhookReceiver;
let crmStatus = 200;
let crmSite: string;
let backupSite: string;

beforeAll(async () => {
  database = await createTestDatabase();
  crm = await startWebhookReceiver(() => ({ status: crmStatus }));
  backup = await startWebhookReceiver(() => ({ status: 200 }));
  crmSite = await insertSite(database.db, { url: crm.url });
  backupSite = await insertSite(database.db, { url: backup.url });
  worker = startLocalWorker({ ...database, box: createSecretBox(randomBytes(32)), allowPrivateTargets: "127.0.0.1", retryIntervalMs: 150, purgeEveryMs: 0 });
  continuations = startWorkflowContinuations({ ...database, announcer: local });
});
afterEach(() => {
  crmStatus = 200;
});
afterAll(async () => {
  await continuations?.stop();
  await worker?.stop(5_000);
  await crm?.close();
  await backup?.close();
  await database?.drop();
});

let n = 0;
/** trigger → Webhook message to the CRM → on failure → Webhook message to the backup receiver. */
function pointsWorkflow(overrides: Partial<WorkflowInput> = {}): WorkflowInput {
  return {
    name: `Points to CRM ${++n}`,
    trigger: { event: `point_add_${n}` },
    graph: {
      nodes: [
        {
          id: "crm",
          kind: "webhook-message",
          config: {
            siteId: crmSite,
            payload: { points: "{{ event.points }}", tags: "{{ event.tags }}", email: "{{ customer.email }}", note: "{{ customer.name }} earned {{ event.points }}", fixed: 7 },
          },
        },
        { id: "fallback", kind: "webhook-message", config: { siteId: backupSite, action: "crm.unreachable", payload: { who: "{{ customer.externalId }}" } } },
      ],
      edges: [
        { source: "trigger", sourceHandle: "next", target: "crm" },
        { source: "crm", sourceHandle: "failure", target: "fallback" },
      ],
    },
    ...overrides,
  };
}

async function activeWorkflow(input: WorkflowInput) {
  const workflow = await createWorkflow(database.db, actor, input);
  await setWorkflowStatus(database.db, actor, workflow.id, { status: "active" });
  return workflow;
}

const event = (name: string, extra: Record<string, unknown> = {}) => ({
  event: name,
  customer: { id: `cust-${randomBytes(4).toString("hex")}`, name: "Ada Lovelace", email: `ada-${randomBytes(4).toString("hex")}@example.com` },
  data: { points: 120, tags: ["gold", "early"] },
  ...extra,
});

const finishedRun = (id: string, timeoutMs = 10_000) =>
  waitFor(async () => {
    const run = await getRun(database.db, id);
    return run.status === "completed" ? run : null;
  }, timeoutMs, `run ${id} to complete`);

const runCounts = async () => {
  const samples = parseSamples(await metrics().registry.metrics());
  return {
    started: sampleValue(samples, "workflow_runs_started_total", { trigger: "event" }),
    completed: sampleValue(samples, "workflow_runs_completed_total"),
  };
};

describe("a customer event running a workflow", () => {
  it("counts runs started and completed for the metrics, a repeated event not again", async () => {
    const workflow = await activeWorkflow(pointsWorkflow());
    const before = await runCounts();
    const input = event(workflow.triggerEvent, { idempotencyKey: `metrics-${n}` });
    const { runs } = await startRuns(database.db, input, local);
    await startRuns(database.db, input, local);
    expect((await runCounts()).started).toBe(before.started + 1);
    // Completed once its message was delivered, in the continuation's transaction.
    await finishedRun(runs[0]!.id);
    await waitFor(async () => (await runCounts()).completed === before.completed + 1, 5_000, "the completed count");
  });

  it("creates the customer, sends the templated payload to the chosen site, and takes success when it is delivered", async () => {
    const workflow = await activeWorkflow(pointsWorkflow());
    const input = event(workflow.triggerEvent);
    const before = crm.arrivals.length;
    const { customerId, runs } = await startRuns(database.db, input, local);
    expect(runs).toEqual([{ id: expect.any(String), workflowId: workflow.id, created: true }]);
    const [customer] = await database.db.select().from(customers).where(eq(customers.id, customerId));
    expect(customer).toMatchObject({ externalId: input.customer.id, name: "Ada Lovelace", email: input.customer.email });

    const run = await finishedRun(runs[0]!.id);
    expect(run.nodes).toEqual([expect.objectContaining({ nodeId: "crm", status: "finished", output: "success", messageStatus: "done" })]);
    expect(crm.arrivals.length).toBe(before + 1);
    const body = JSON.parse(crm.arrivals.at(-1)!.body);
    expect(body).toMatchObject({ type: workflow.triggerEvent, customerId });
    expect(body.data).toEqual({ points: 120, tags: ["gold", "early"], email: input.customer.email, note: "Ada Lovelace earned 120", fixed: 7 });
    const [message] = await database.db.select().from(webhookMessages).where(eq(webhookMessages.id, run.nodes[0]!.messageId!));
    expect(message).toMatchObject({ workflowRunId: run.id, workflowNodeId: "crm" });
    // The message page links the run that made it.
    expect((await getMessage(database.db, message!.id)).madeBy).toEqual({ runId: run.id, workflowId: workflow.id, workflowName: workflow.name });
  });

  it("takes the failure output once the message failed after its retries, and the next node delivers", async () => {
    const workflow = await activeWorkflow(pointsWorkflow());
    crmStatus = 500;
    const { runs } = await startRuns(database.db, event(workflow.triggerEvent), local);
    const run = await finishedRun(runs[0]!.id, 20_000);
    expect(run.nodes.map(({ nodeId, output, messageStatus }) => ({ nodeId, output, messageStatus }))).toEqual([
      { nodeId: "crm", output: "failure", messageStatus: "failed" },
      { nodeId: "fallback", output: "success", messageStatus: "done" },
    ]);
    expect(run.nodes[0]!.reason).toBe("The message failed after 5 attempt(s)");
    const fallback = JSON.parse(backup.arrivals.at(-1)!.body);
    expect(fallback).toMatchObject({ type: "crm.unreachable", data: { who: expect.stringMatching(/^cust-/) } });
  }, 30_000);

  it("takes the failure output at once when the site was deactivated, with the reason", async () => {
    const site = await insertSite(database.db, { url: crm.url });
    const input = pointsWorkflow();
    (input.graph!.nodes![0]!.config as { siteId: string }).siteId = site;
    const workflow = await activeWorkflow(input);
    await setSiteStatus(database.db, actor, site, { status: "inactive" });
    const { runs } = await startRuns(database.db, event(workflow.triggerEvent), local);
    const run = await finishedRun(runs[0]!.id);
    expect(run.nodes[0]).toMatchObject({ nodeId: "crm", output: "failure", messageId: null });
    expect(run.nodes[0]!.reason).toMatch(/^The trusted site ".*" is inactive$/);
    expect(run.nodes[1]).toMatchObject({ nodeId: "fallback", output: "success" });
  });

  it("starts nothing new for a repeated idempotency key", async () => {
    const workflow = await activeWorkflow(pointsWorkflow());
    const input = event(workflow.triggerEvent, { idempotencyKey: "evt-42" });
    const first = await startRuns(database.db, input, local);
    const again = await startRuns(database.db, input, local);
    expect(again.runs).toEqual([{ ...first.runs[0], created: false }]);
    await finishedRun(first.runs[0]!.id);
    expect(await database.db.select().from(workflowRuns).where(eq(workflowRuns.workflowId, workflow.id))).toHaveLength(1);
  });

  it("runs only active workflows, and only when the trigger's conditions hold; a Condition node picks its branch", async () => {
    const name = `checkin_${++n}`;
    const draft = await createWorkflow(database.db, actor, { ...pointsWorkflow(), name: `Draft ${n}`, trigger: { event: name } });
    const workflow = await activeWorkflow({
      name: `Big spenders ${n}`,
      trigger: { event: name, conditions: [{ field: "event.points", operator: "at_least", value: 100 }] },
      graph: {
        nodes: [
          { id: "vip", kind: "condition", config: { conditions: [{ field: "event.tags", operator: "contains", value: "gold" }] } },
          { id: "notify", kind: "webhook-message", config: { siteId: backupSite, payload: { vip: true } } },
        ],
        edges: [
          { source: "trigger", sourceHandle: "next", target: "vip" },
          { source: "vip", sourceHandle: "true", target: "notify" },
        ],
      },
    });
    expect((await startRuns(database.db, event(name, { data: { points: 50, tags: ["gold"] } }), local)).runs).toEqual([]);
    const silver = await startRuns(database.db, event(name, { data: { points: 150, tags: ["silver"] } }), local);
    expect(silver.runs.map((r) => r.workflowId)).toEqual([workflow.id]);
    expect((await finishedRun(silver.runs[0]!.id)).nodes).toEqual([expect.objectContaining({ nodeId: "vip", output: "false" })]);
    const gold = await startRuns(database.db, event(name), local);
    expect((await finishedRun(gold.runs[0]!.id)).nodes.map((s) => [s.nodeId, s.output])).toEqual([["vip", "true"], ["notify", "success"]]);
    expect(gold.runs.map((r) => r.workflowId)).not.toContain(draft.id);
  });

  it("keeps the version a run started with when the workflow is edited", async () => {
    const workflow = await activeWorkflow(pointsWorkflow());
    crmStatus = 500;
    const { runs } = await startRuns(database.db, event(workflow.triggerEvent), local);
    const edited = pointsWorkflow({ name: workflow.name, trigger: { event: workflow.triggerEvent } });
    edited.graph!.edges = edited.graph!.edges!.slice(0, 1);
    edited.graph!.nodes = edited.graph!.nodes!.slice(0, 1);
    expect((await updateWorkflow(database.db, actor, workflow.id, edited)).version.version).toBe(2);
    const run = await finishedRun(runs[0]!.id, 20_000);
    expect(run.version).toBe(1);
    expect(run.nodes.map((s) => s.nodeId)).toEqual(["crm", "fallback"]);
  }, 30_000);

  it("survives a restart while it waits: a message that ends while nobody listens is caught up on at start", async () => {
    const workflow = await activeWorkflow(pointsWorkflow());
    await continuations!.stop();
    continuations = undefined;
    const { runs } = await startRuns(database.db, event(workflow.triggerEvent), local);
    await waitFor(async () => (await getRun(database.db, runs[0]!.id)).nodes[0]?.messageStatus === "done", 10_000, "the message to be delivered");
    await new Promise((r) => setTimeout(r, 300));
    expect((await getRun(database.db, runs[0]!.id)).status).toBe("running");
    continuations = startWorkflowContinuations({ ...database, announcer: local });
    const run = await finishedRun(runs[0]!.id);
    expect(run.nodes).toEqual([expect.objectContaining({ nodeId: "crm", output: "success" })]);
  });
});

describe("saving a workflow", () => {
  async function issues(input: unknown) {
    const error = await createWorkflow(database.db, actor, input).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues!.map((i) => `${i.path.join(".")}: ${i.message}`);
  }

  it("refuses unknown references with the path of the bad value, a missing site, and an unconnected node", async () => {
    const input = pointsWorkflow();
    input.graph!.nodes![0]!.config = { siteId: "6f1c2a4e-0b7d-4c1e-9a55-2d3b4c5e6f70", payload: { a: { b: ["{{ customer.phone }}", "{{ shop.id }}"] }, c: "{{ event.points" } };
    input.graph!.edges = input.graph!.edges!.slice(0, 1);
    expect(await issues(input)).toEqual(
      expect.arrayContaining([
        "graph.nodes.1: fallback is not connected: connect it to the trigger or to another node's output",
        "graph.nodes.0.config.payload.a.b.0: Unknown reference customer.phone: a customer has id, externalId, name, email",
        "graph.nodes.0.config.payload.a.b.1: Unknown reference shop.id: a template can use event, customer and workflow",
        expect.stringMatching(/^graph\.nodes\.0\.config\.payload\.c: output "\{\{ event\.points" not closed/),
        "graph.nodes.0.config.siteId: No such trusted site: choose an active one",
      ]),
    );
  });

  it("refuses a loop, an output connected twice and a draft site", async () => {
    const draftSite = await insertSite(database.db, { url: crm.url, status: "draft" });
    const input = pointsWorkflow();
    (input.graph!.nodes![1]!.config as { siteId: string }).siteId = draftSite;
    input.graph!.edges = [
      { source: "trigger", sourceHandle: "next", target: "crm" },
      { source: "crm", sourceHandle: "failure", target: "fallback" },
      { source: "crm", sourceHandle: "failure", target: "crm" },
      { source: "crm", sourceHandle: "maybe", target: "fallback" },
    ];
    expect(await issues(input)).toEqual(
      expect.arrayContaining([
        "graph.edges.2.sourceHandle: The failure output of crm is connected twice",
        'graph.edges.3.sourceHandle: crm has no output "maybe" (it has success, failure)',
        expect.stringMatching(/^graph\.nodes\.1\.config\.siteId: ".*" is not active: choose an active trusted site$/),
      ]),
    );
  });
});
