import { createHmac, randomBytes } from "node:crypto";
import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ROUTE_MAX_DURATION_S, stepBudget } from "@/lib/inngest/step-budget";

const signingKey = `signkey-test-${randomBytes(32).toString("hex")}`;
let route: typeof import("@/app/api/inngest/route");

beforeAll(async () => {
  // The SDK reads its keys when the client is created, so they are set before the route loads.
  vi.stubEnv("INNGEST_SIGNING_KEY", signingKey);
  vi.stubEnv("INNGEST_DEV", "0");
  vi.stubEnv("WEBHOOK_ENGINE", "inngest");
  vi.stubEnv("INNGEST_STEP_MAX_MS", "60000");
  route = await import("@/app/api/inngest/route");
});

/** What Inngest sends: t=<unix seconds>&s=<HMAC-SHA256 of body + t, keyed by the key without its prefix>. */
function signature(body: string, key = signingKey) {
  const t = Math.floor(Date.now() / 1000).toString();
  const s = createHmac("sha256", key.replace(/^signkey-\w+-/, "")).update(body + t).digest("hex");
  return `t=${t}&s=${s}`;
}

const url = "http://localhost:3000/api/inngest";

describe("/api/inngest (served by the Inngest SDK, authenticated by Inngest's signature, not a session)", () => {
  it("exports the serve handler for GET, POST and PUT", () => {
    for (const method of ["GET", "POST", "PUT"] as const) expect(route[method]).toBeTypeOf("function");
  });

  it("asks the host for the route's maxDuration, and checkpoints no longer than INNGEST_STEP_MAX_MS leaves room for", async () => {
    // Next.js reads maxDuration as a literal at build time; this keeps it the ceiling of INNGEST_STEP_MAX_MS.
    expect((route as { maxDuration?: number }).maxDuration).toBe(ROUTE_MAX_DURATION_S);
    const { inngest } = await import("@/inngest/client");
    const checkpointing = (inngest as unknown as { options: { checkpointing: { maxRuntime: number } } }).options.checkpointing;
    expect(checkpointing.maxRuntime).toBe(6_000);
    expect(stepBudget(60_000).maxRuntimeMs).toBe(6_000);
    
  });

  it("answers Inngest's signed introspection request with the app and its five functions", async () => {
    const res = await route.GET(new NextRequest(url, { headers: { "x-inngest-signature": signature("") } }), undefined);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ authentication_succeeded: true, app_id: "trusted-sites-webhooks", function_count: 5, mode: "cloud", has_signing_key: true });
    expect(JSON.stringify(body)).not.toContain(signingKey.slice(13));
  });

  it("refuses unsigned and wrongly signed requests, without a backoffice session being involved", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const unsigned = await route.GET(new NextRequest(url), undefined);
    expect(unsigned.status).toBe(401);
    const forged = await route.GET(new NextRequest(url, { headers: { "x-inngest-signature": signature("", "signkey-test-00") } }), undefined);
    expect(forged.status).toBe(401);
    const body = JSON.stringify({ event: { name: "webhook/message.requested", data: {} }, steps: {}, ctx: {} });
    const call = await route.POST(
      new NextRequest(`${url}?fnId=trusted-sites-webhooks-deliver-webhook&stepId=step`, { method: "POST", body, headers: { "content-type": "application/json" } }),
      undefined,
    );
    expect(call.status).toBe(401);
  });

  it("does not exist with the local engine (404), so no Inngest app can run deliveries beside the local workers", async () => {
    vi.stubEnv("WEBHOOK_ENGINE", "local");
    try {
      const res = await route.GET(new NextRequest(url, { headers: { "x-inngest-signature": signature("") } }), undefined);
      expect(res.status).toBe(404);
      expect((await res.json()).error).toMatch(/local engine/);
    } finally {
      vi.stubEnv("WEBHOOK_ENGINE", "inngest");
    }
  });
});
