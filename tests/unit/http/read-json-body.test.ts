import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BadRequestError, PayloadTooLargeError, ValidationError } from "@/lib/errors";
import { bodyLeftUnread, readJsonBody, readNoFieldsBody } from "@/lib/http/read-json-body";
import { rotateSigningSecretSchema } from "@/lib/signing-secrets/schema";
import { isCrossOriginWrite } from "@/lib/http/same-origin";
import { MAX_JSON_DEPTH } from "@/lib/validation";

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

describe("readJsonBody and text or nesting PostgreSQL and zod cannot take", () => {
  const untouchable = z.any().refine(() => {
    throw new Error("the schema ran");
  });
  const refusal = (body: string) => readJsonBody(request(body), untouchable).catch((e: ValidationError) => e.issues);
  const nested = (levels: number): unknown => (levels === 0 ? 1 : { a: nested(levels - 1) });

  it("refuses NUL and unpaired surrogates in values and keys with the path, before the schema runs", async () => {
    expect(await refusal('{"a":[1,{"b":"x\\u0000"}]}')).toEqual([{ path: ["a", 1, "b"], message: expect.stringMatching(/^Text must not contain NUL/) }]);
    expect(await refusal('{"a":{"\\ud800":1}}')).toEqual([{ path: ["a"], message: expect.stringMatching(/^Keys must not contain/) }]);
    expect(await refusal('"\\udc00"')).toEqual([{ path: [], message: expect.stringMatching(/unpaired surrogate/) }]);
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels (the body is level 1), however deep`, async () => {
    const tooDeep = await refusal(JSON.stringify(nested(MAX_JSON_DEPTH + 1)));
    expect(tooDeep).toEqual([{ path: Array(MAX_JSON_DEPTH).fill("a"), message: `Nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays` }]);
    expect(await refusal("[".repeat(100_000) + "]".repeat(100_000))).toHaveLength(1);
    await expect(readJsonBody(request(JSON.stringify(nested(MAX_JSON_DEPTH))), z.any())).resolves.toBeDefined();
  });
});

describe("bodyLeftUnread", () => {
  const read = async (req: Request) => readJsonBody(req, z.any(), 1000).catch((e: PayloadTooLargeError) => e);

  it("tells the API route to close the connection after a body left unread, and only then", async () => {
    const tooLarge = request("x".repeat(2000));
    expect((await read(tooLarge)) as PayloadTooLargeError).toMatchObject({ status: 413 });
    expect(bodyLeftUnread(tooLarge)).toBe(true);
    const declared = request("{}", { "content-length": "2000" });
    await read(declared);
    expect(bodyLeftUnread(declared)).toBe(true);
    const fine = request("{}");
    expect(await read(fine)).toEqual({});
    expect(bodyLeftUnread(fine)).toBe(false);
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

describe("a POST that takes no fields (regression: the hostile-input fuzz turned signing on with a broken body)", () => {
  it("accepts no body or {}, refuses broken JSON with 400 and any field with 422", async () => {
    await expect(readNoFieldsBody(new Request("http://app.test/api/x", { method: "POST" }))).resolves.toBeUndefined();
    await expect(readNoFieldsBody(request("{}"))).resolves.toBeUndefined();
    await expect(readNoFieldsBody(request("{}}"))).rejects.toBeInstanceOf(BadRequestError);
    await expect(readNoFieldsBody(request('{"name":"Fuzzed"}'))).rejects.toBeInstanceOf(ValidationError);
    await expect(readNoFieldsBody(request("[]"))).rejects.toBeInstanceOf(ValidationError);
  });

  it("rotating refuses fields it does not know, so a body meant for another route rotates nothing", () => {
    expect(rotateSigningSecretSchema.safeParse({ overlapHours: 2 }).success).toBe(true);
    expect(rotateSigningSecretSchema.safeParse({ name: "Fuzzed", overlapHours: 2 }).success).toBe(false);
  });
});
