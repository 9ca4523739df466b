import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listSiteAuditEvents } from "@/lib/audit/list-site-audit-events";
import { openParams } from "@/lib/auth-methods/stored-params";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { customers, trustedSites, webhookAttempts, webhookMessages } from "@/lib/db/schema";
import { ConflictError, NotFoundError, ValidationError } from "@/lib/errors";
import { createSecretBox } from "@/lib/secrets";
import { createSite } from "@/lib/trusted-sites/create-site";
import { deleteSite } from "@/lib/trusted-sites/delete-site";
import { setSiteStatus } from "@/lib/trusted-sites/set-site-status";
import { workflowsUsingSite } from "@/lib/trusted-sites/site-workflows";
import { updateSite } from "@/lib/trusted-sites/update-site";
import { createWorkflow, updateWorkflow } from "@/lib/workflows/save-workflow";
import { setWorkflowStatus } from "@/lib/workflows/set-workflow-status";
import { authMethodFixtures } from "../../helpers/auth-fixtures";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";

const box = createSecretBox(randomBytes(32));
const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
let database: TestDatabase;
beforeAll(async () => (database = await createTestDatabase()));
afterAll(() => database.drop());

const rawRow = async (id: string) => (await database.sql`select * from trusted_sites where id = ${id}`)[0]!;

describe("creating sites", () => {
  it.each(Object.entries(authMethodFixtures))("stores a %s site as a draft with no secret in clear", async (method, fixture) => {
    const site = await createSite(database.db, box, actor, {
      name: `Site using ${method}`,
      url: "https://receiver.example/hook",
      authMethod: method,
      authParams: fixture.valid,
    });
    expect(site).toMatchObject({ status: "draft", authMethod: method, contentType: "application/json", rps: 10, threads: 1 });
    const row = JSON.stringify(await rawRow(site.id));
    for (const secret of fixture.secretValues) {
      expect(row).not.toContain(secret);
      expect(JSON.stringify(site)).not.toContain(secret);
    }
    expect(Object.values(site.secretsSet).every(Boolean)).toBe(true);
    const [event] = await listSiteAuditEvents(database.db, site.id);
    expect(event).toMatchObject({ actor: "ops@example.com", action: "site.created" });
  });

  it("reports every invalid field, method fields under authParams, and writes nothing", async () => {
    const error = await createSite(database.db, box, actor, {
      name: "",
      url: "ftp://nope",
      authMethod: "basic",
      authParams: { username: "a:b" },
      rps: 0,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const paths = error.issues.map((i: { path: string[] }) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["name", "url", "rps"]));
    const methodError = await createSite(database.db, box, actor, {
      name: "Valid name",
      url: "https://x.example",
      authMethod: "basic",
      authParams: { username: "a:b" },
    }).catch((e) => e);
    expect(methodError.issues.map((i: { path: string[] }) => i.path.join("."))).toEqual(
      expect.arrayContaining(["authParams.username", "authParams.password"]),
    );
    expect(await database.db.select().from(trustedSites).where(eq(trustedSites.name, "Valid name"))).toEqual([]);
  });

  it("refuses a duplicate name with 409", async () => {
    const input = { name: "Duplicate", url: "https://x.example", authMethod: "none" };
    await createSite(database.db, box, actor, input);
    await expect(createSite(database.db, box, actor, input)).rejects.toBeInstanceOf(ConflictError);
  });
});

describe("updating a site", () => {
  it("keeps a secret the edit leaves empty, replaces one it sets, and audits field names only", async () => {
    const site = await createSite(database.db, box, actor, {
      name: "Basic receiver",
      url: "https://x.example",
      authMethod: "basic",
      authParams: { username: "shop", password: "first-secret-1" },
    });
    await updateSite(database.db, box, actor, site.id, { url: "https://y.example", authParams: { username: "shop2", password: "" } });
    let stored = openParams("basic", (await rawRow(site.id)).auth_params, box);
    expect(stored).toEqual({ username: "shop2", password: "first-secret-1" });

    await updateSite(database.db, box, actor, site.id, { authParams: { username: "shop2", password: "second-secret-2" } });
    stored = openParams("basic", (await rawRow(site.id)).auth_params, box);
    expect(stored.password).toBe("second-secret-2");

    const events = await listSiteAuditEvents(database.db, site.id);
    expect(events.map((e) => e.action)).toEqual(["site.updated", "site.updated", "site.created"]);
    expect(events[1]!.details).toEqual({ changed: ["url", "authParams"] });
    expect(JSON.stringify(events)).not.toContain("secret-");
  });

  it("drops cached tokens when the credentials change, keeps them otherwise", async () => {
    const fixture = authMethodFixtures["oauth2-client-credentials"];
    const site = await createSite(database.db, box, actor, {
      name: "Token site",
      url: "https://x.example",
      authMethod: "oauth2-client-credentials",
      authParams: fixture.valid,
    });
    const tokenState = { access_token: box.encrypt("tok"), expires_at: new Date(Date.now() + 3600_000).toISOString() };
    await database.db
      .update(trustedSites)
      .set({ authParams: { ...(await rawRow(site.id)).auth_params, ...tokenState } })
      .where(eq(trustedSites.id, site.id));

    await updateSite(database.db, box, actor, site.id, { rps: 20 });
    expect((await rawRow(site.id)).auth_params.access_token).toBe(tokenState.access_token);

    await updateSite(database.db, box, actor, site.id, { authParams: { ...fixture.valid, clientId: "another-client" } });
    expect((await rawRow(site.id)).auth_params.access_token).toBeUndefined();
  });

  it("answers unknown ids with 404", async () => {
    await expect(updateSite(database.db, box, actor, "00000000-0000-4000-8000-000000000000", {})).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe("activation and deletion", () => {
  it("activates and deactivates with an audit event each, and refuses to delete while messages are in flight", async () => {
    const site = await createSite(database.db, box, actor, { name: "Lifecycle", url: "https://x.example", authMethod: "none" });
    expect((await setSiteStatus(database.db, actor, site.id, { status: "active" })).status).toBe("active");
    expect((await setSiteStatus(database.db, actor, site.id, { status: "inactive" })).status).toBe("inactive");
    await expect(setSiteStatus(database.db, actor, site.id, { status: "draft" })).rejects.toBeInstanceOf(ValidationError);

    const [customer] = await database.db.insert(customers).values({ name: "C", email: `c-${site.id}@x.io` }).returning();
    const [message] = await database.db
      .insert(webhookMessages)
      .values({ siteId: site.id, customerId: customer!.id, action: "a", payload: {}, contentHash: "h" })
      .returning();
    await expect(deleteSite(database.db, actor, site.id)).rejects.toThrow(/still has 1 message/);

    await database.db.update(webhookMessages).set({ status: "done" }).where(eq(webhookMessages.id, message!.id));
    await database.db.insert(webhookAttempts).values(
      [1, 2].map((attemptNo) => ({ messageId: message!.id, siteId: site.id, customerId: customer!.id, action: "a", attemptNo, status: "done" as const, scheduledAt: new Date() })),
    );
    await deleteSite(database.db, actor, site.id);
    expect(await database.db.select().from(trustedSites).where(eq(trustedSites.id, site.id))).toEqual([]);
    // Its messages and their attempts go with it.
    expect(await database.db.select().from(webhookMessages).where(eq(webhookMessages.siteId, site.id))).toEqual([]);
    expect(await database.db.select().from(webhookAttempts).where(eq(webhookAttempts.messageId, message!.id))).toEqual([]);
    const trail = (await listSiteAuditEvents(database.db, site.id)).map((e) => e.action);
    expect(trail).toEqual(["site.deleted", "site.deactivated", "site.activated", "site.created"]);
  });

  it("gives an activated site its thread slots and pacing row, and more slots when its threads are raised", async () => {
    const slots = async (siteId: string) =>
      (await database.sql`select slot from site_leases where site_id = ${siteId} order by slot`).map((r) => Number(r.slot));
    const site = await createSite(database.db, box, actor, { name: "Slots", url: "https://slots.example", authMethod: "none", threads: 3 });
    expect(await slots(site.id)).toEqual([]);
    await setSiteStatus(database.db, actor, site.id, { status: "active" });
    expect(await slots(site.id)).toEqual([0, 1, 2]);
    expect(await database.sql`select count(*)::int as n from site_pacing where site_id = ${site.id}`).toEqual([{ n: 1 }]);
    await updateSite(database.db, box, actor, site.id, { threads: 5 });
    expect(await slots(site.id)).toEqual([0, 1, 2, 3, 4]);
    // Fewer threads keep the rows (slots past the limit are not taken); activating again adds none twice.
    await updateSite(database.db, box, actor, site.id, { threads: 2 });
    await setSiteStatus(database.db, actor, site.id, { status: "inactive" });
    await setSiteStatus(database.db, actor, site.id, { status: "active" });
    expect(await slots(site.id)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("sites used by workflows", () => {
  const sendingTo = (name: string, siteId: string) => ({
    name,
    trigger: { event: "point_add" },
    graph: {
      nodes: [{ id: "notify", kind: "webhook-message" as const, config: { siteId, payload: { points: "{{ event.points }}" } } }],
      edges: [{ source: "trigger", sourceHandle: "next", target: "notify" }],
    },
  });

  it("lists the workflows whose latest version sends to the site, and refuses to delete it while an active one does, naming it", async () => {
    const site = await createSite(database.db, box, actor, { name: "CRM for workflows", url: "https://crm.example", authMethod: "none" });
    const other = await createSite(database.db, box, actor, { name: "Other for workflows", url: "https://other.example", authMethod: "none" });
    for (const s of [site, other]) await setSiteStatus(database.db, actor, s.id, { status: "active" });
    const live = await createWorkflow(database.db, actor, sendingTo("Points to CRM", site.id));
    await setWorkflowStatus(database.db, actor, live.id, { status: "active" });
    const draft = await createWorkflow(database.db, actor, sendingTo("Draft to CRM", site.id));
    // Used the site in version 1 only: not listed, and no reason to refuse.
    const moved = await createWorkflow(database.db, actor, sendingTo("Moved away", site.id));
    await updateWorkflow(database.db, actor, moved.id, sendingTo("Moved away", other.id));
    await setWorkflowStatus(database.db, actor, moved.id, { status: "active" });

    expect(await workflowsUsingSite(database.db, site.id)).toEqual([
      { id: draft.id, name: "Draft to CRM", status: "draft" },
      { id: live.id, name: "Points to CRM", status: "active" },
    ]);
    expect(await workflowsUsingSite(database.db, other.id)).toEqual([{ id: moved.id, name: "Moved away", status: "active" }]);

    await setSiteStatus(database.db, actor, site.id, { status: "inactive" });
    const refused = await deleteSite(database.db, actor, site.id).catch((e) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused.status).toBe(409);
    expect(refused.message).toContain('"Points to CRM"');
    expect(refused.message).not.toContain("Draft to CRM");
    expect(await database.db.select().from(trustedSites).where(eq(trustedSites.id, site.id))).toHaveLength(1);

    await setWorkflowStatus(database.db, actor, live.id, { status: "inactive" });
    await deleteSite(database.db, actor, site.id);
    expect(await database.db.select().from(trustedSites).where(eq(trustedSites.id, site.id))).toEqual([]);
  });
});
