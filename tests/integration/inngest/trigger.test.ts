import { afterEach, beforeAll, afterAll, describe, expect, it, vi } from "vitest";
import { POST as postEvent } from "@/app/api/events/route";
import { POST as postMessage } from "@/app/api/webhooks/messages/route";
import { getRun } from "@/lib/workflows/read-workflows";
import { createWorkflow } from "@/lib/workflows/save-workflow";
import { setWorkflowStatus } from "@/lib/workflows/set-workflow-status";
import { queueMessage } from "@/lib/delivery/engine";
import { inngest } from "@/inngest/client";
import { createRouteTestDatabase, type RouteTestDatabase } from "../../helpers/app-database";
import { attemptRows, insertCustomer, insertSite, messageRow } from "../../helpers/delivery-fixtures";

const SIGNING_KEY = "signkey-test-0123456789abcdef0123456789abcdef";
vi.hoisted(() => {
  // Before the Inngest client is created (it reads its settings once): cloud mode with no event
  // key, so a real send fails at once, as it does when Inngest is not configured or reachable.
  vi.stubEnv("WEBHOOK_ENGINE", "inngest");
  vi.stubEnv("INNGEST_DEV", "0");
  vi.stubEnv("INNGEST_EVENT_KEY", "");
  vi.stubEnv("INNGEST_SIGNING_KEY", "signkey-test-0123456789abcdef0123456789abcdef");
});

let database: RouteTestDatabase;
let token: string;
let customerId: string;
let siteId: string;
beforeAll(async () => {
  database = await createRouteTestDatabase("workflow engine");
  token = database.token;
  customerId = await insertCustomer(database.db);
  siteId = await insertSite(database.db, { url: "https://receiver.example/hooks" });
});
afterAll(() => database?.drop());
afterEach(() => vi.restoreAllMocks());

const post = (body: unknown) =>
  postMessage(
    new Request("http://app.test/api/webhooks/messages", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    { params: Promise.resolve({}) } as { params: Promise<Record<string, never>> },
  );

describe("POST /api/webhooks/messages with WEBHOOK_ENGINE=inngest", () => {
  it("sends webhook/message.requested once the message and its first attempt are committed", async () => {
    const seenAtSend: unknown[] = [];
    const send = vi.spyOn(inngest, "send").mockImplementation(async (payload) => {
      const [{ data: { messageId } }] = payload as unknown as [{ data: { messageId: string } }];
      seenAtSend.push((await messageRow(database.db, messageId)).status, (await attemptRows(database.db, messageId)).length);
      return { ids: ["01J00000000000000000000000"] };
    });
    const res = await post({ siteId, customerId, action: "order.paid", payload: { total: 3 }, idempotencyKey: "k-1" });

    expect(res.status).toBe(202);
    const { id } = await res.json();
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]![0]).toMatchObject([{ name: "webhook/message.requested", data: { messageId: id }, id: `message-requested-${id}-1` }]);
    expect(seenAtSend).toEqual(["queued", 1]);

    // A repeated idempotency key returns the first message and announces nothing new.
    const again = await post({ siteId, customerId, action: "order.paid", payload: { total: 3 }, idempotencyKey: "k-1" });
    expect(again.status).toBe(200);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("still answers 202 when the event cannot be sent: the message stays queued for the sweeper", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const send = vi.spyOn(inngest, "send");
    const res = await post({ siteId, customerId, action: "order.paid", payload: { total: 4 } });

    expect(res.status).toBe(202);
    const { id, status } = await res.json();
    expect(status).toBe("queued");
    await expect(send.mock.results[0]!.value).rejects.toThrow(/event key/i);
    expect(await messageRow(database.db, id)).toMatchObject({ status: "queued", attempts: 0, lockedBy: null });
    expect((await attemptRows(database.db, id)).map((a) => [a.attemptNo, a.status])).toEqual([[1, "queued"]]);
    expect(warn).toHaveBeenCalledTimes(1);
    const line = String(warn.mock.calls[0]![0]);
    expect(line).toContain(`message ${id} stays queued for the sweeper`);
    expect(line).not.toContain(SIGNING_KEY.slice(13));
  });

  it("the local engine is told inside the transaction and Inngest is not called", async () => {
    const send = vi.spyOn(inngest, "send");
    const queued = await queueMessage(database.db, { siteId, customerId, action: "order.paid", payload: {} }, "local");
    expect(queued.created).toBe(true);
    expect(send).not.toHaveBeenCalled();
  });
});

describe("POST /api/events with WEBHOOK_ENGINE=inngest", () => {
  it("starts the runs in PostgreSQL, answers 202 with their ids, and requests their messages from Inngest after the commit", async () => {
    const actor = { kind: "user" as const, userId: "u1", email: "ops@example.com" };
    const workflow = await createWorkflow(database.db, actor, {
      name: "Points over Inngest",
      trigger: { event: "point_add" },
      graph: {
        nodes: [{ id: "notify", kind: "webhook-message", config: { siteId, payload: { points: "{{ event.points }}" } } }],
        edges: [{ source: "trigger", sourceHandle: "next", target: "notify" }],
      },
    });
    await setWorkflowStatus(database.db, actor, workflow.id, { status: "active" });
    const seenAtSend: string[] = [];
    const send = vi.spyOn(inngest, "send").mockImplementation(async (payload) => {
      const [{ data: { messageId } }] = payload as unknown as [{ data: { messageId: string } }];
      seenAtSend.push((await messageRow(database.db, messageId)).status);
      return { ids: ["01J00000000000000000000000"] };
    });
    const res = await postEvent(
      new Request("http://app.test/api/events", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ event: "point_add", customer: { id: "crm-77" }, data: { points: 5 } }),
      }),
      { params: Promise.resolve({}) } as { params: Promise<Record<string, never>> },
    );

    expect(res.status).toBe(202);
    const { runs } = await res.json();
    expect(runs).toEqual([{ id: expect.any(String), workflowId: workflow.id, created: true }]);
    const run = await getRun(database.db, runs[0].id);
    expect(run.nodes).toEqual([expect.objectContaining({ nodeId: "notify", status: "waiting" })]);
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]![0]).toMatchObject([{ name: "webhook/message.requested", data: { messageId: run.nodes[0]!.messageId } }]);
    expect(seenAtSend).toEqual(["queued"]);
  });
});
