import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BadRequestError, PayloadTooLargeError, ValidationError } from "@/lib/errors";
import { readJsonBody } from "@/lib/http/read-json-body";
import { isCrossOriginWrite } from "@/lib/http/same-origin";

const schema = z.object({ name: z.string().min(1, "Name is required"), rps: z.number().int().positive("rps must be positive") });
const request = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://app.test/api/x", { method: "POST", body, headers, duplex: "half" } as RequestInit);

describe("readJsonBody", () => {
  it("returns the validated body", async () => {
    await expect(readJsonBody(request('{"name":"a","rps":5}'), schema)).resolves.toEqual({ name: "a", rps: 5 });
  });

  it("reports every invalid field with its path", async () => {
    const error = await readJsonBody(request('{"name":"","rps":0}'), schema).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues).toEqual([
      { path: ["name"], message: "Name is required" },
      { path: ["rps"], message: "rps must be positive" },
    ]);
  });

  it("refuses malformed JSON with 400", async () => {
    await expect(readJsonBody(request('{"name":'), schema)).rejects.toBeInstanceOf(BadRequestError);
  });

  it("refuses a body over the limit, by its Content-Length or while streaming", async () => {
    await expect(readJsonBody(request("{}", { "content-length": "2000000" }), schema, 1000)).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(400));
        c.close();
      },
    });
    await expect(readJsonBody(request(stream), schema, 1000)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });
});

describe("isCrossOriginWrite", () => {
  const write = (headers: Record<string, string>, method = "POST") =>
    new Request("http://app.test/api/x", { method, headers: { host: "app.test", ...headers } });

  it("lets same-origin writes, scripts without Origin, and reads through", () => {
    expect(isCrossOriginWrite(write({ origin: "http://app.test" }))).toBe(false);
    expect(isCrossOriginWrite(write({}))).toBe(false);
    expect(isCrossOriginWrite(write({ origin: "https://evil.example" }, "GET"))).toBe(false);
  });

  it("catches writes from another origin", () => {
    expect(isCrossOriginWrite(write({ origin: "https://evil.example" }))).toBe(true);
    expect(isCrossOriginWrite(write({ origin: "http://app.test:8080" }, "DELETE"))).toBe(true);
    expect(isCrossOriginWrite(write({ "sec-fetch-site": "cross-site" }))).toBe(true);
  });
});
