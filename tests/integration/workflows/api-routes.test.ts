import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as postEvent } from "@/app/api/events/route";
import { GET as getRunRoute } from "@/app/api/workflow-runs/[id]/route";
import { GET as getWorkflowRoute, PATCH as patchWorkflow } from "@/app/api/workflows/[id]/route";
import { GET as listRunsRoute } from "@/app/api/workflows/[id]/runs/route";
import { POST as saveNodeAsSite } from "@/app/api/workflows/[id]/nodes/[nodeId]/trusted-site/route";
import { POST as setStatus } from "@/app/api/workflows/[id]/status/route";
import { POST as postTestRun } from "@/app/api/workflows/[id]/test-runs/route";
import { POST as postWorkflow } from "@/app/api/workflows/route";
import { createRouteTestDatabase, type RouteTestDatabase } from "../../helpers/app-database";
import { insertSite } from "../../helpers/delivery-fixtures";
import { rowCounts } from "../../helpers/row-counts";

let database: RouteTestDatabase;
let token: string;
let siteId: string;
beforeAll(async () => {
  database = await createRouteTestDatabase("workflow routes");
  token = database.token;
  siteId = await insertSite(database.db, { url: "https://crm.example/hooks" });
});
afterAll(() => database?.drop());

type Route<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;
function call<P>(route: Route<P>, method: string, path: string, body?: unknown, params = {} as P) {
  return route(
    new Request(`http://app.test${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    }),
    { params: Promise.resolve(params) },
  );
}
const paths = async (response: Response) => ((await response.json()).issues ?? []).map((i: { path: (string | number)[] }) => i.path.join("."));

const definition = {
  name: "Points to the CRM",
  trigger: { event: "point_add" },
  graph: {
    nodes: [{ id: "crm", kind: "webhook-message", config: { siteId: "", payload: { points: "{{ event.points }}" } } }],
    edges: [{ source: "trigger", sourceHandle: "next", target: "crm" }],
  },
};

describe("the workflow routes", () => {
  it("create (201, a draft), read, save a new version, activate, and run a test event (202)", async () => {
    const input = structuredClone(definition);
    input.graph.nodes[0]!.config.siteId = siteId;
    const created = await call(postWorkflow, "POST", "/api/workflows", input);
    expect(created.status).toBe(201);
    const workflow = await created.json();
    expect(workflow).toMatchObject({ status: "draft", triggerEvent: "point_add", version: { version: 1 } });
    const params = { id: workflow.id };
    expect((await (await call(getWorkflowRoute, "GET", "/api/workflows/x", undefined, params)).json()).graph).toEqual(
      expect.objectContaining({ edges: input.graph.edges }),
    );
    expect((await (await call(patchWorkflow, "PATCH", "/api/workflows/x", { ...input, description: "v2" }, params)).json()).version.version).toBe(2);
    expect((await call(setStatus, "POST", "/api/workflows/x/status", { status: "active" }, params)).status).toBe(200);
    const [customer] = await database.sql`insert into customers (external_id, name) values ('C-1', 'Test customer') returning id`;
    const test = await call(postTestRun, "POST", "/api/workflows/x/test-runs", { customerId: customer!.id, data: { points: 3 } }, params);
    expect(test.status).toBe(202);
    const runs = await (await call(listRunsRoute, "GET", "/api/workflows/x/runs", undefined, params)).json();
    expect(runs.runs).toEqual([expect.objectContaining({ id: (await test.json()).run.id, version: 2, customerName: "Test customer" })]);
  });

  it("answers 422 with the field at fault, and writes nothing", async () => {
    const before = await rowCounts(database.sql);
    expect(await paths(await call(postWorkflow, "POST", "/api/workflows", { ...definition, name: "" }))).toEqual(
      expect.arrayContaining(["name", "graph.nodes.0.config.siteId"]),
    );
    expect(await paths(await call(postWorkflow, "POST", "/api/workflows", { ...definition, trigger: { event: "Not An Event" } }))).toEqual(["trigger.event", "graph.nodes.0.config.siteId"]);
    expect(await paths(await call(postWorkflow, "POST", "/api/workflows", { name: "x\u0000y", trigger: { event: "a" } }))).toEqual(["name"]);
    expect(await paths(await call(postEvent, "POST", "/api/events", { event: "point_add", customer: {}, data: {} }))).toEqual(["customer.id"]);
    expect(await paths(await call(postEvent, "POST", "/api/events", { event: "point_add", customer: { id: "c" }, data: { note: "\ud800" } }))).toEqual(["data.note"]);
    expect(await paths(await call(postEvent, "POST", "/api/events", { event: "point_add", customer: { id: "c", email: "nope" }, data: [] }))).toEqual(
      expect.arrayContaining(["customer.email", "data"]),
    );
    expect((await call(postEvent, "POST", "/api/events", "{")).status).toBe(400);
    expect(await rowCounts(database.sql)).toEqual(before);
  });

  it("pages a run history newest first with a cursor, and refuses a forged cursor or limit with 422", async () => {
    const input = structuredClone(definition);
    input.graph.nodes[0]!.config.siteId = siteId;
    const workflow = await (await call(postWorkflow, "POST", "/api/workflows", { ...input, name: "Paged runs" })).json();
    const params = { id: workflow.id };
    const [customer] = await database.sql`insert into customers (external_id, name) values ('C-paged', 'Paged customer') returning id`;
    const started: string[] = [];
    for (let i = 0; i < 3; i++) {
      const test = await call(postTestRun, "POST", "/api/workflows/x/test-runs", { customerId: customer!.id, data: { points: i } }, params);
      started.push((await test.json()).run.id);
    }
    // Two runs in the same microsecond still page apart: the id breaks the tie.
    await database.sql`update workflow_runs set started_at = '2026-11-01T10:00:00Z' where id in ${database.sql(started.slice(0, 2))}`;

    const first = await (await call(listRunsRoute, "GET", "/api/workflows/x/runs?limit=2", undefined, params)).json();
    expect(first.runs.map((r: { id: string }) => r.id)).toHaveLength(2);
    expect(first.runs[0]).toMatchObject({ id: started[2], messages: 1 });
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await (await call(listRunsRoute, "GET", `/api/workflows/x/runs?limit=2&cursor=${first.nextCursor}`, undefined, params)).json();
    expect([...first.runs, ...second.runs].map((r: { id: string }) => r.id).sort()).toEqual([...started].sort());
    expect(second.nextCursor).toBeNull();

    for (const query of ["cursor=abc", "cursor=99999999999999999999.x", "limit=0", "limit=1e9", "cursor=%00"]) {
      const response = await call(listRunsRoute, "GET", `/api/workflows/x/runs?${query}`, undefined, params);
      expect(response.status, query).toBe(422);
      expect(await paths(response), query).toEqual([query.split("=")[0]]);
    }
  });

  it("answers 404 for an unknown or malformed workflow or run id, never 500", async () => {
    for (const id of ["not-a-uuid", "6f1c2a4e-0b7d-4c1e-9a55-2d3b4c5e6f70"]) {
      expect((await call(getWorkflowRoute, "GET", "/", undefined, { id })).status).toBe(404);
      expect((await call(patchWorkflow, "PATCH", "/", definition, { id })).status).toBe(404);
      expect((await call(setStatus, "POST", "/", { status: "active" }, { id })).status).toBe(404);
      expect((await call(listRunsRoute, "GET", "/", undefined, { id })).status).toBe(404);
      expect((await call(postTestRun, "POST", "/", { customerId: "6f1c2a4e-0b7d-4c1e-9a55-2d3b4c5e6f70" }, { id })).status).toBe(404);
      expect((await call(getRunRoute, "GET", "/", undefined, { id })).status).toBe(404);
      expect((await call(saveNodeAsSite, "POST", "/", { name: "From a node" }, { id, nodeId: "legacy" })).status).toBe(404);
    }
    // A bad name is the field at fault, before anything is looked up.
    const bad = await call(saveNodeAsSite, "POST", "/", { name: "a\u0000b" }, { id: "6f1c2a4e-0b7d-4c1e-9a55-2d3b4c5e6f70", nodeId: "legacy" });
    expect(bad.status).toBe(422);
    expect(await paths(bad)).toEqual(["name"]);
  });
});
