import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { withPayloadSignature } from "@/lib/delivery/sign-payload";
import { createSecretBox } from "@/lib/secrets";
import type { StoredSigningSecret } from "@/lib/signing-secrets/stored-signing-secret";

const box = createSecretBox(randomBytes(32));
const NOW = new Date("2026-12-01T12:00:00Z");

function stored(secret: string, activeUntil: string | null = null): StoredSigningSecret {
  return { id: secret, sealed: box.encrypt(secret), prefix: secret.slice(0, 10), createdAt: NOW.toISOString(), activeUntil };
}

// The example of the Standard Webhooks / Svix documentation ("Verifying webhooks manually").
const EXAMPLE = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  request: {
    method: "POST" as const,
    url: "https://receiver.example/hooks",
    headers: { "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330" },
    body: '{"test": 2432232314}',
  },
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

describe("withPayloadSignature", () => {
  it("matches the documented Standard Webhooks example", () => {
    const signed = withPayloadSignature(EXAMPLE.request, [stored(EXAMPLE.secret)], box, NOW);
    expect(signed.headers["webhook-signature"]).toBe(EXAMPLE.signature);
    expect(EXAMPLE.request.headers).not.toHaveProperty("webhook-signature");
  });

  it("signs with every secret still active, newest first, and ignores those whose overlap ended", () => {
    const other = "whsec_" + randomBytes(32).toString("base64");
    const ended = "whsec_" + randomBytes(32).toString("base64");
    const signed = withPayloadSignature(
      EXAMPLE.request,
      [stored(other), stored(EXAMPLE.secret, "2026-12-01T13:00:00Z"), stored(ended, "2026-12-01T11:59:59Z")],
      box,
      NOW,
    );
    const signatures = signed.headers["webhook-signature"]!.split(" ");
    expect(signatures).toHaveLength(2);
    expect(signatures[1]).toBe(EXAMPLE.signature);
  });

  it("leaves a site without secrets unsigned, and fails rather than send unsigned when a secret cannot be decrypted", () => {
    expect(withPayloadSignature(EXAMPLE.request, [], box, NOW)).toBe(EXAMPLE.request);
    const foreign = { ...stored(EXAMPLE.secret), sealed: createSecretBox(randomBytes(32)).encrypt(EXAMPLE.secret) };
    expect(() => withPayloadSignature(EXAMPLE.request, [foreign], box, NOW)).toThrow(/cannot be decrypted.*rotate it/);
  });
});
