import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Database } from "../db";
import { isUuid } from "../validation";
import { customers, type Customer, webhookMessages, workflowNodeRuns, workflowRuns, workflows, workflowVersions } from "../db/schema";
import type { Announce, Transaction } from "../delivery/announce";
import type { Announcer } from "../delivery/engine";
import { NotFoundError, ValidationError } from "../errors";
import { findOrCreateCustomer } from "../customers/find-or-create-customer";
import { metrics } from "../observability/metrics";
import { conditionsHold } from "./conditions";
import { TRIGGER_NODE_ID, TRIGGER_OUTPUT, type WorkflowDefinition, type WorkflowGraph } from "./definition";
import type { CustomerEvent, TestEvent } from "./event-input";
import { nodeKindModule } from "./nodes/registry";
import type { TemplateScope } from "./template";

/*
 * The local run engine (DESIGN §10). A run's state is its rows: the run, and one row per node that
 * ran (the output it took, or the message it waits for). Advancing a run happens in one transaction
 * with the messages its nodes queue, so a crash repeats nothing; a run waiting for a message
 * continues when the message ends (workflow-continuations.ts hears of it).
 */

export interface StartedRun {
  id: string;
  workflowId: string;
  /** False when the event's idempotency key had already started this workflow's run. */
  created: boolean;
}

/** Starts a run of every active workflow whose trigger matches the event, and runs each as far as it goes. */
export async function startRuns(db: Database, event: CustomerEvent, announcer: Announcer): Promise<{ customerId: string; runs: StartedRun[] }> {
  const progress = newProgress();
  const result = await db.transaction(async (tx) => {
    const customer = await findOrCreateCustomer(tx, event.customer);
    const candidates = await tx
      .select({ id: workflows.id, name: workflows.name, versionId: workflowVersions.id, trigger: workflowVersions.trigger })
      .from(workflows)
      .innerJoin(workflowVersions, eq(workflowVersions.workflowId, workflows.id))
      .where(
        and(
          eq(workflows.status, "active"),
          eq(workflows.triggerEvent, event.event),
          eq(workflowVersions.version, sql`(select max(version) from ${workflowVersions} v where v.workflow_id = ${workflows.id})`),
        ),
      );
    const runs: StartedRun[] = [];
    for (const workflow of candidates) {
      const started = await startRun(tx, { workflowId: workflow.id, versionId: workflow.versionId, trigger: workflow.trigger }, customer, event, announcer.inTransaction, progress);
      if (started) runs.push(started);
    }
    return { customerId: customer.id, runs };
  });
  countRuns(progress, "event");
  await announcer.afterCommit(progress.queued);
  return result;
}

/**
 * Send test event: runs the workflow's latest version now, whatever its status (a draft can be
 * tried before it is activated), for a customer and sample data. Null when the trigger's
 * conditions do not hold for that event.
 */
export async function startTestRun(
  db: Database,
  workflowId: string,
  test: TestEvent,
  announcer: Announcer,
): Promise<StartedRun | null> {
  if (!isUuid(workflowId)) throw new NotFoundError("No such workflow");
  const progress = newProgress();
  const run = await db.transaction(async (tx) => {
    const [workflow] = await tx.select().from(workflows).where(eq(workflows.id, workflowId));
    if (!workflow) throw new NotFoundError("No such workflow");
    const [customer] = await tx.select().from(customers).where(eq(customers.id, test.customerId));
    if (!customer) throw new ValidationError([{ path: ["customerId"], message: "No such customer" }]);
    const version = (await latestVersion(tx, workflowId))!;
    const event = { event: workflow.triggerEvent, customer: { id: customer.externalId ?? customer.id }, data: test.data };
    return startRun(tx, { workflowId, versionId: version.id, trigger: version.trigger }, customer, event, announcer.inTransaction, progress);
  });
  countRuns(progress, "test");
  await announcer.afterCommit(progress.queued);
  return run;
}

/** One run of one workflow version for an event: its row, then as far as it goes. Null when the trigger's conditions do not hold. */
async function startRun(
  tx: Transaction,
  workflow: { workflowId: string; versionId: string; trigger: unknown },
  customer: Customer,
  event: CustomerEvent,
  announce: Announce,
  progress: RunProgress,
): Promise<StartedRun | null> {
  const trigger = workflow.trigger as WorkflowDefinition["trigger"];
  if (!conditionsHold(trigger.conditions, { event: event.data, customer: customerScope(customer) })) return null;
  const [run] = await tx
    .insert(workflowRuns)
    .values({ workflowId: workflow.workflowId, versionId: workflow.versionId, event: event.event, eventData: event.data, customerId: customer.id, idempotencyKey: event.idempotencyKey ?? null })
    .onConflictDoNothing({ target: [workflowRuns.workflowId, workflowRuns.idempotencyKey] })
    .returning({ id: workflowRuns.id });
  if (!run) {
    const [existing] = await tx
      .select({ id: workflowRuns.id })
      .from(workflowRuns)
      .where(and(eq(workflowRuns.workflowId, workflow.workflowId), eq(workflowRuns.idempotencyKey, event.idempotencyKey!)));
    return { id: existing!.id, workflowId: workflow.workflowId, created: false };
  }
  progress.started++;
  await advanceRun(tx, run.id, announce, progress);
  return { id: run.id, workflowId: workflow.workflowId, created: true };
}

/**
 * Continues the runs waiting for a message that has ended: the waiting node takes `success` when
 * it is done, `failure` when it failed. Harmless to call twice or for a message nobody waits for.
 */
export async function continueAfterMessage(db: Database, messageId: string, announcer: Announcer): Promise<void> {
  const progress = newProgress();
  await db.transaction(async (tx) => {
    const finished = await tx.execute<{ run_id: string }>(sql`
      update ${workflowNodeRuns} n
      set status = 'finished', finished_at = now(),
        output = case when m.status = 'done' then 'success' else 'failure' end,
        reason = case when m.status = 'done' then 'The message was delivered'
          else 'The message failed after ' || m.attempts || ' attempt(s)' end
      from ${webhookMessages} m
      where n.message_id = m.id and m.id = ${messageId} and n.status = 'waiting' and m.status in ('done', 'failed')
      returning n.run_id`);
    for (const { run_id } of finished) await advanceRun(tx, run_id, announcer.inTransaction, progress);
  });
  countRuns(progress);
  await announcer.afterCommit(progress.queued);
}

/**
 * Catches up after a restart or a lost notification: continues every run waiting for a message
 * that has ended, and fails the waits whose message is gone (its site was deleted).
 */
export async function continueStrandedRuns(db: Database, announcer: Announcer): Promise<number> {
  const ended = await db
    .select({ messageId: workflowNodeRuns.messageId })
    .from(workflowNodeRuns)
    .innerJoin(webhookMessages, eq(webhookMessages.id, workflowNodeRuns.messageId))
    .where(and(eq(workflowNodeRuns.status, "waiting"), inArray(webhookMessages.status, ["done", "failed"])));
  for (const { messageId } of ended) await continueAfterMessage(db, messageId!, announcer);
  const progress = newProgress();
  const orphaned = await db.transaction(async (tx) => {
    const rows = await tx
      .update(workflowNodeRuns)
      .set({ status: "finished", output: "failure", reason: "The message was deleted with its trusted site", finishedAt: new Date() })
      .where(and(eq(workflowNodeRuns.status, "waiting"), isNull(workflowNodeRuns.messageId)))
      .returning({ runId: workflowNodeRuns.runId });
    for (const { runId } of rows) await advanceRun(tx, runId, announcer.inTransaction, progress);
    return rows.length;
  });
  countRuns(progress);
  await announcer.afterCommit(progress.queued);
  return ended.length + orphaned;
}

/**
 * Runs every node whose input has fired and that has not run yet, until the run waits for a
 * message or has nothing left to do (then it is completed). Adds the messages it queued to `progress`.
 */
async function advanceRun(tx: Transaction, runId: string, announce: Announce, progress: RunProgress): Promise<void> {
  const [run] = await tx
    .select({ run: workflowRuns, graph: workflowVersions.graph, workflowName: workflows.name, trigger: workflowVersions.trigger, customer: customers })
    .from(workflowRuns)
    .innerJoin(workflowVersions, eq(workflowVersions.id, workflowRuns.versionId))
    .innerJoin(workflows, eq(workflows.id, workflowRuns.workflowId))
    .innerJoin(customers, eq(customers.id, workflowRuns.customerId))
    .where(eq(workflowRuns.id, runId))
    .for("update", { of: workflowRuns });
  if (!run || run.run.status !== "running") return;
  const graph = run.graph as WorkflowGraph;
  const scope: TemplateScope = {
    event: run.run.eventData as Record<string, unknown>,
    customer: customerScope(run.customer),
    workflow: { id: run.run.workflowId, name: run.workflowName, event: run.run.event },
  };
  const states = new Map(
    (await tx.select().from(workflowNodeRuns).where(eq(workflowNodeRuns.runId, runId))).map((s) => [s.nodeId, s]),
  );
  for (;;) {
    const ready = graph.edges.filter((edge) => !states.has(edge.target) && fired(edge, states)).map((e) => graph.nodes.find((n) => n.id === e.target)!);
    if (ready.length === 0) break;
    for (const node of ready) {
      const kind = nodeKindModule(node.kind);
      const outcome = await kind.run(kind.schema.parse(node.config), { tx, runId, workflowId: run.run.workflowId, nodeId: node.id, scope, announce });
      const values =
        "waitForMessage" in outcome
          ? { runId, nodeId: node.id, status: "waiting" as const, messageId: outcome.waitForMessage }
          : { runId, nodeId: node.id, status: "finished" as const, output: outcome.output, reason: outcome.reason ?? null, finishedAt: new Date() };
      const [state] = await tx.insert(workflowNodeRuns).values(values).returning();
      states.set(node.id, state!);
      if ("waitForMessage" in outcome) progress.queued.push({ id: outcome.waitForMessage });
    }
  }
  if (![...states.values()].some((s) => s.status === "waiting")) {
    await tx.update(workflowRuns).set({ status: "completed", finishedAt: new Date() }).where(eq(workflowRuns.id, runId));
    progress.completed++;
  }
}

/** What one transaction did to runs, acted on once it commits: messages to announce, runs started and completed. */
interface RunProgress {
  queued: { id: string }[];
  started: number;
  completed: number;
}

const newProgress = (): RunProgress => ({ queued: [], started: 0, completed: 0 });

/** Counts a committed transaction's runs for the metrics (a rolled-back one counts nothing). */
function countRuns(progress: RunProgress, trigger: "event" | "test" = "event") {
  const m = metrics();
  if (progress.started > 0) m.workflowRunsStarted.inc({ trigger }, progress.started);
  if (progress.completed > 0) m.workflowRunsCompleted.inc(progress.completed);
}

function fired(edge: WorkflowGraph["edges"][number], states: Map<string, { status: string; output: string | null }>): boolean {
  if (edge.source === TRIGGER_NODE_ID) return edge.sourceHandle === TRIGGER_OUTPUT;
  const source = states.get(edge.source);
  return source?.status === "finished" && source.output === edge.sourceHandle;
}

function customerScope(c: { id: string; externalId: string | null; name: string; email: string | null }): TemplateScope["customer"] {
  return { id: c.id, externalId: c.externalId, name: c.name, email: c.email };
}

/** The latest version of a workflow. */
export async function latestVersion(tx: Transaction | Database, workflowId: string) {
  const [version] = await tx.select().from(workflowVersions).where(eq(workflowVersions.workflowId, workflowId)).orderBy(desc(workflowVersions.version)).limit(1);
  return version ?? null;
}
