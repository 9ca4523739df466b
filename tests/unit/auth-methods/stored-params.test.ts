import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { openParams, redactParams, sealParams } from "@/lib/auth-methods/stored-params";
import { createSecretBox } from "@/lib/secrets";

const box = createSecretBox(randomBytes(32));

describe("stored auth parameters", () => {
  it("encrypts exactly the method's secret fields and the cached tokens", () => {
    const sealed = sealParams("basic", { username: "shop", password: "pa55word", access_token: "tok" }, box);
    expect(sealed.username).toBe("shop");
    expect(JSON.stringify(sealed)).not.toContain("pa55word");
    expect(JSON.stringify(sealed)).not.toContain('"tok"');
    expect(openParams("basic", sealed, box)).toEqual({ username: "shop", password: "pa55word", access_token: "tok" });
  });

  it("does not encrypt twice", () => {
    const once = sealParams("basic", { username: "u", password: "p" }, box);
    expect(sealParams("basic", once, box)).toEqual(once);
  });

  it("redacts secrets for responses, saying which are set", () => {
    const sealed = sealParams("basic", { username: "shop", password: "pa55word" }, box);
    expect(redactParams("basic", sealed)).toEqual({ params: { username: "shop" }, secretsSet: { password: true } });
    expect(redactParams("basic", { username: "shop" })).toEqual({ params: { username: "shop" }, secretsSet: { password: false } });
  });
});
