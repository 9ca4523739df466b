import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { trustedSites } from "@/lib/db/schema";
import { ValidationError } from "@/lib/errors";
import { createSecretBox } from "@/lib/secrets";
import { createSite } from "@/lib/trusted-sites/create-site";
import { getSiteOrThrow } from "@/lib/trusted-sites/get-site";
import { updateSite } from "@/lib/trusted-sites/update-site";
import { authMethodFixtures } from "../../helpers/auth-fixtures";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";

const box = createSecretBox(randomBytes(32));
const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
let database: TestDatabase;
beforeAll(async () => (database = await createTestDatabase()));
afterAll(() => database.drop());
afterEach(() => vi.unstubAllEnvs());

let n = 0;
const site = (fields: Record<string, unknown>) => ({ name: `Target check ${++n}`, authMethod: "none", ...fields });

async function issuesOf(save: Promise<unknown>) {
  const error = await save.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues!.map((i) => ({ path: i.path.join("."), message: i.message }));
}

const ALLOWED_ONLY = "allowed only when ALLOW_PRIVATE_TARGETS lists it";

describe("saving a site whose URL the server would refuse to call", () => {
  it("names a literal loopback, private or metadata address on the field, and stores nothing", async () => {
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "");
    const before = await database.db.select().from(trustedSites);
    expect(await issuesOf(createSite(database.db, box, actor, site({ url: "http://127.0.0.1:8080/hooks" })))).toEqual([
      { path: "url", message: `127.0.0.1 is a loopback address; ${ALLOWED_ONLY}` },
    ]);
    expect(await issuesOf(createSite(database.db, box, actor, site({ url: "http://[::1]/" })))).toEqual([
      { path: "url", message: `::1 is a loopback address; ${ALLOWED_ONLY}` },
    ]);
    expect(await issuesOf(createSite(database.db, box, actor, site({ url: "http://169.254.169.254/latest" })))).toEqual([
      { path: "url", message: `169.254.169.254 is a cloud metadata address; ${ALLOWED_ONLY}` },
    ]);
    expect(await database.db.select().from(trustedSites)).toEqual(before);
  });

  it("names the address a host name resolves to", async () => {
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "");
    const [issue] = await issuesOf(createSite(database.db, box, actor, site({ url: "http://localhost:3000/hooks" })));
    expect(issue).toEqual({ path: "url", message: expect.stringMatching(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address; allowed only/) });
  });

  it("checks a token URL too, under authParams", async () => {
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "");
    const fixture = authMethodFixtures["oauth2-client-credentials"];
    const input = site({ url: "https://receiver.example/hook", authMethod: "oauth2-client-credentials", authParams: { ...fixture.valid, tokenUrl: "https://10.1.2.3/token" } });
    expect(await issuesOf(createSite(database.db, box, actor, input))).toEqual([
      { path: "authParams.tokenUrl", message: `10.1.2.3 is a private address; ${ALLOWED_ONLY}` },
    ]);
  });

  it("accepts what ALLOW_PRIVATE_TARGETS lists, and names that do not resolve (the connect-time check still guards)", async () => {
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.0/8");
    await expect(createSite(database.db, box, actor, site({ url: "http://127.0.0.1:8080/hooks" }))).resolves.toMatchObject({ status: "draft" });
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "");
    await expect(createSite(database.db, box, actor, site({ url: "https://receiver.example/hook" }))).resolves.toMatchObject({ status: "draft" });
  });

  it("refuses an edit that points a site at a refused address, and keeps the stored URL", async () => {
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "");
    const created = await createSite(database.db, box, actor, site({ url: "https://receiver.example/hook" }));
    expect(await issuesOf(updateSite(database.db, box, actor, created.id, { url: "http://192.168.1.10/hook" }))).toEqual([
      { path: "url", message: `192.168.1.10 is a private address; ${ALLOWED_ONLY}` },
    ]);
    expect((await getSiteOrThrow(database.db, created.id)).url).toBe("https://receiver.example/hook");
  });
});

describe("a URL with a user name or password", () => {
  const message = (label: string) =>
    `${label} must not contain a user name or password (they would be shown in the Logs and are not sent): use the HTTP Basic authentication method for them`;

  it("is refused for the site URL and a token URL, pointing to HTTP Basic", async () => {
    expect(await issuesOf(createSite(database.db, box, actor, site({ url: "https://user:secret@receiver.example/" })))).toEqual([
      { path: "url", message: message("URL") },
    ]);
    const fixture = authMethodFixtures["oauth2-client-credentials"];
    const input = site({ url: "https://receiver.example/", authMethod: "oauth2-client-credentials", authParams: { ...fixture.valid, tokenUrl: "https://id:pw@auth.example.com/token" } });
    expect(await issuesOf(createSite(database.db, box, actor, input))).toEqual([{ path: "authParams.tokenUrl", message: message("Token URL") }]);
  });

  it("never echoes the password back in the error", async () => {
    const issues = await issuesOf(createSite(database.db, box, actor, site({ url: "https://ops:hunter2-secret@receiver.example/" })));
    expect(JSON.stringify(issues)).not.toContain("hunter2-secret");
  });
});
