import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { parse as parseForm } from "qs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { trustedSites, webhookAttempts, workflowVersions } from "@/lib/db/schema";
import { enqueue } from "@/lib/delivery/enqueue";
import { engineAnnouncer } from "@/lib/delivery/engine";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { NotFoundError, ValidationError } from "@/lib/errors";
import { createSecretBox } from "@/lib/secrets";
import { getSiteOrThrow } from "@/lib/trusted-sites/get-site";
import { listSites } from "@/lib/trusted-sites/list-sites";
import type { WorkflowInput } from "@/lib/workflows/definition";
import { getRun } from "@/lib/workflows/read-workflows";
import { startRuns } from "@/lib/workflows/run-engine";
import { createWorkflow, updateWorkflow } from "@/lib/workflows/save-workflow";
import { saveLegacyNodeAsSite } from "@/lib/workflows/save-legacy-node-as-site";
import { setWorkflowStatus } from "@/lib/workflows/set-workflow-status";
import { startWorkflowContinuations, type WorkflowContinuations } from "@/lib/workflows/workflow-continuations";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertCustomer, waitFor } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";

const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
const local = engineAnnouncer("local");
const box = createSecretBox(randomBytes(32));
const PASSWORD = "s3cret-legacy-pass";
let database: TestDatabase;
let worker: LocalWorker;
let continuations: WorkflowContinuations | undefined;
let receiver: WebhookReceiver;

beforeAll(async () => {
  vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.1");
  database = await createTestDatabase();
  receiver = await startWebhookReceiver(() => ({ status: 200 }));
  worker = startLocalWorker({ ...database, box, allowPrivateTargets: "127.0.0.1", retryIntervalMs: 150, purgeEveryMs: 0 });
  continuations = startWorkflowContinuations({ ...database, announcer: local });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await continuations?.stop();
  await worker?.stop(5_000);
  await receiver?.close();
  await database?.drop();
});

let n = 0;
function legacyConfig(overrides: Record<string, unknown> = {}) {
  return {
    url: receiver.url,
    httpMethod: "PUT",
    bodyEncoding: "form",
    contentType: "application/x-www-form-urlencoded",
    headers: [{ name: "X-Tenant", value: "acme-42" }],
    authMethod: "basic",
    authParams: { username: "loyalty", password: PASSWORD },
    action: "points.changed",
    payload: { points: "{{ event.points }}", who: "{{ customer.name }}", tags: "{{ event.tags }}" },
    ...overrides,
  };
}
function legacyWorkflow(config: Record<string, unknown> = legacyConfig()): WorkflowInput {
  n += 1;
  return {
    name: `Legacy CRM ${n}`,
    trigger: { event: `legacy_points_${n}` },
    graph: { nodes: [{ id: "old-crm", kind: "webhook-message-legacy", config }], edges: [{ source: "trigger", sourceHandle: "next", target: "old-crm" }] },
  };
}

const event = (name: string) => ({
  event: name,
  customer: { id: `cust-${randomBytes(4).toString("hex")}`, name: "Grace Hopper" },
  data: { points: 75, tags: ["silver"] },
});

async function runToCompletion(eventName: string) {
  const { runs } = await startRuns(database.db, event(eventName), local);
  return waitFor(async () => {
    const run = await getRun(database.db, runs[0]!.id);
    return run.status === "completed" ? run : null;
  }, 10_000, "the run to complete");
}

function issuesOf(promise: Promise<unknown>) {
  return promise.then(
    () => [],
    (error: unknown) => {
      if (!(error instanceof ValidationError)) throw error;
      return (error.issues ?? []).map((i) => ({ path: i.path.join("."), message: i.message }));
    },
  );
}

describe("the Webhook message (legacy) node", () => {
  it("sends with the node's method, body encoding, extra headers and credentials through the delivery core", async () => {
    const workflow = await createWorkflow(database.db, actor, legacyWorkflow(), { box });
    await setWorkflowStatus(database.db, actor, workflow.id, { status: "active" }, { box });
    const before = receiver.arrivals.length;
    const run = await runToCompletion(workflow.triggerEvent);

    expect(run.nodes).toEqual([expect.objectContaining({ nodeId: "old-crm", output: "success", messageStatus: "done" })]);
    expect(receiver.arrivals.length).toBe(before + 1);
    const arrival = receiver.arrivals.at(-1)!;
    expect(arrival.method).toBe("PUT");
    expect(arrival.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(arrival.headers["x-tenant"]).toBe("acme-42");
    expect(arrival.headers.authorization).toBe(`Basic ${Buffer.from(`loyalty:${PASSWORD}`).toString("base64")}`);
    expect(parseForm(arrival.body)).toMatchObject({ type: "points.changed", data: { points: "75", who: "Grace Hopper", tags: ["silver"] } });

    // The Logs record the request with the credential and the extra header's value redacted.
    const [attempt] = await database.db.select().from(webhookAttempts).where(eq(webhookAttempts.messageId, run.nodes[0]!.messageId!));
    expect(JSON.stringify(attempt!.request)).not.toContain(PASSWORD);
    expect(attempt!.request).toMatchObject({ method: "PUT", headers: { authorization: "[redacted]", "x-tenant": "[redacted]" } });
  });

  it("keeps the password out of the version's graph, sealed in a site row the trusted sites do not list or serve", async () => {
    const workflow = await createWorkflow(database.db, actor, legacyWorkflow(), { box });
    const [version] = await database.db.select().from(workflowVersions).where(eq(workflowVersions.id, workflow.version.id));
    expect(JSON.stringify(version!.graph)).not.toContain(PASSWORD);
    expect(JSON.stringify(version!.graph)).toContain("loyalty");

    const [site] = await database.db.select().from(trustedSites).where(eq(trustedSites.workflowId, workflow.id));
    expect(site).toMatchObject({ workflowNodeId: "old-crm", httpMethod: "PUT", bodyEncoding: "form", timeoutMs: 1_000 });
    expect(JSON.stringify(site!.authParams)).not.toContain(PASSWORD);
    expect((await listSites(database.db)).map((s) => s.id)).not.toContain(site!.id);
    await expect(getSiteOrThrow(database.db, site!.id)).rejects.toBeInstanceOf(NotFoundError);
    const customerId = await insertCustomer(database.db);
    await expect(enqueue(database.db, { siteId: site!.id, customerId, action: "x", payload: {} })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("keeps the stored password when an edit leaves it blank, and asks for it on the first save", async () => {
    expect(await issuesOf(createWorkflow(database.db, actor, legacyWorkflow(legacyConfig({ authParams: { username: "loyalty" } })), { box }))).toEqual([
      { path: "graph.nodes.0.config.authParams.password", message: expect.any(String) },
    ]);
    const workflow = await createWorkflow(database.db, actor, legacyWorkflow(), { box });
    const edited = legacyWorkflow(legacyConfig({ authParams: { username: "loyalty", password: "" }, httpMethod: "POST", bodyEncoding: "json", contentType: "application/json" }));
    await updateWorkflow(database.db, actor, workflow.id, { ...edited, name: workflow.name, trigger: { event: workflow.triggerEvent } }, { box });
    await setWorkflowStatus(database.db, actor, workflow.id, { status: "active" }, { box });

    await runToCompletion(workflow.triggerEvent);
    const arrival = receiver.arrivals.at(-1)!;
    expect(arrival.method).toBe("POST");
    expect(JSON.parse(arrival.body).data).toEqual({ points: 75, who: "Grace Hopper", tags: ["silver"] });
    expect(arrival.headers.authorization).toBe(`Basic ${Buffer.from(`loyalty:${PASSWORD}`).toString("base64")}`);
  });

  it("seals a secret extra header in the node's site row, keeps it out of the graph, and keeps it when an edit leaves it blank", async () => {
    const apiKey = "legacy-api-key-4711";
    const headers = [{ name: "X-Api-Key", value: apiKey, secret: true }];
    expect(await issuesOf(createWorkflow(database.db, actor, legacyWorkflow(legacyConfig({ headers: [{ ...headers[0], value: "" }] })), { box }))).toEqual([
      { path: "graph.nodes.0.config.headers.0.value", message: "Header value is required" },
    ]);
    const workflow = await createWorkflow(database.db, actor, legacyWorkflow(legacyConfig({ headers })), { box });
    const [version] = await database.db.select().from(workflowVersions).where(eq(workflowVersions.id, workflow.version.id));
    expect(JSON.stringify(version!.graph)).not.toContain(apiKey);
    const [site] = await database.db.select().from(trustedSites).where(eq(trustedSites.workflowId, workflow.id));
    expect(JSON.stringify(site!.headers)).not.toContain(apiKey);

    const edited = legacyWorkflow(legacyConfig({ headers: [{ name: "X-Api-Key", value: "", secret: true }] }));
    await updateWorkflow(database.db, actor, workflow.id, { ...edited, name: workflow.name, trigger: { event: workflow.triggerEvent } }, { box });
    await setWorkflowStatus(database.db, actor, workflow.id, { status: "active" }, { box });
    await runToCompletion(workflow.triggerEvent);
    expect(receiver.arrivals.at(-1)!.headers["x-api-key"]).toBe(apiKey);
  });

  it("refuses bad connection settings with the path of each field", async () => {
    const config = legacyConfig({
      url: "ftp://example.com",
      httpMethod: "DELETE",
      timeoutMs: 61_000,
      headers: [{ name: "Content-Type", value: "text/plain" }, { name: "X-Ok", value: "a\r\nInjected: 1" }],
      authMethod: "oauth2",
    });
    const issues = await issuesOf(createWorkflow(database.db, actor, legacyWorkflow(config), { box }));
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        "graph.nodes.0.config.url",
        "graph.nodes.0.config.httpMethod",
        "graph.nodes.0.config.timeoutMs",
        "graph.nodes.0.config.headers.0.name",
        "graph.nodes.0.config.headers.1.value",
        "graph.nodes.0.config.authMethod",
      ].sort(),
    );
  });

  it("refuses a private address the server would not call", async () => {
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "");
    try {
      expect(await issuesOf(createWorkflow(database.db, actor, legacyWorkflow(legacyConfig({ url: "http://10.1.2.3/hook" })), { box }))).toEqual([
        { path: "graph.nodes.0.config.url", message: expect.stringContaining("private address") },
      ]);
    } finally {
      vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.1");
    }
  });

  it("saves the node as a draft trusted site with the same connection and credentials", async () => {
    const workflow = await createWorkflow(database.db, actor, legacyWorkflow(), { box });
    const site = await saveLegacyNodeAsSite(database.db, actor, workflow.id, "old-crm", { name: `Old CRM ${n}` });
    expect(site).toMatchObject({ name: `Old CRM ${n}`, status: "draft", httpMethod: "PUT", bodyEncoding: "form", headers: [{ name: "X-Tenant", value: "acme-42" }], authMethod: "basic", secretsSet: { password: true } });
    expect((await listSites(database.db)).map((s) => s.id)).toContain(site.id);
    expect(JSON.stringify(site)).not.toContain(PASSWORD);

    await expect(saveLegacyNodeAsSite(database.db, actor, workflow.id, "old-crm", { name: `Old CRM ${n}` })).rejects.toThrow(/already exists/);
    await expect(saveLegacyNodeAsSite(database.db, actor, workflow.id, "nope", { name: "Other" })).rejects.toBeInstanceOf(NotFoundError);
    expect(await issuesOf(saveLegacyNodeAsSite(database.db, actor, workflow.id, "old-crm", { name: "" }))).toEqual([{ path: "name", message: "Name is required" }]);
  });
});
