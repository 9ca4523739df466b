import { describe, expect, it } from "vitest";
import { redactUrl } from "@/lib/observability/redact-url";

describe("redactUrl (url.full as traces show it)", () => {
  it("replaces a user name and password", () => {
    expect(redactUrl("https://shop:s3cret@hooks.example/in")).toBe("https://REDACTED:REDACTED@hooks.example/in");
    expect(redactUrl("https://token@hooks.example/in")).toBe("https://REDACTED@hooks.example/in");
  });

  it("replaces SigV4 presigned-URL credentials, whatever their case, and keeps every other parameter as written", () => {
    const url =
      "https://bucket.s3.eu-west-1.amazonaws.com/key.json?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261201%2Feu-west-1%2Fs3%2Faws4_request" +
      "&X-Amz-Date=20261201T000000Z&x-amz-security-token=FQo%2B&X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeef&note=a+b%20c&flag";
    expect(redactUrl(url)).toBe(
      "https://bucket.s3.eu-west-1.amazonaws.com/key.json?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED" +
        "&X-Amz-Date=20261201T000000Z&x-amz-security-token=REDACTED&X-Amz-SignedHeaders=host&X-Amz-Signature=REDACTED&note=a+b%20c&flag",
    );
  });

  it("leaves a plain URL alone and hides one it cannot parse", () => {
    expect(redactUrl("http://127.0.0.1:8080/hooks?x=1")).toBe("http://127.0.0.1:8080/hooks?x=1");
    expect(redactUrl("not a url s3cret")).toBe("REDACTED");
  });
});
