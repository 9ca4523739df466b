import dns from "node:dns";
import type { LookupAddress, LookupOptions } from "node:dns";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import tls from "node:tls";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigError } from "@/lib/env";
import { createGuardedFetch } from "@/lib/outbound/guarded-fetch";
import { OutboundAddressRefusedError } from "@/lib/outbound/refused-error";

interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let port: number;
let connections = 0;
let seen: SeenRequest[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      seen.push({ method: request.method!, url: request.url!, headers: request.headers, body });
      if (request.url === "/redirect") {
        response.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
      } else {
        response.writeHead(200, { "content-type": "text/plain" }).end(`hello from ${request.url}`);
      }
    });
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  connections = 0;
  seen = [];
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

async function refusal(promise: Promise<unknown>): Promise<OutboundAddressRefusedError> {
  const error = await promise.then(
    () => expect.fail("the request was not refused"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OutboundAddressRefusedError);
  expect(error).toHaveProperty("code", "OUTBOUND_ADDRESS_REFUSED");
  return error as OutboundAddressRefusedError;
}

describe("guarded fetch to a loopback server", { timeout: 5_000 }, () => {
  it("refuses 127.0.0.1 when it is not allowed, and the server sees no connection", async () => {
    const error = await refusal(createGuardedFetch({ allow: "" })(`http://127.0.0.1:${port}/hook`));
    expect(error.message).toBe(
      "refused to connect to 127.0.0.1 (loopback address); allow it with ALLOW_PRIVATE_TARGETS",
    );
    expect(connections).toBe(0);
  });

  it("refuses localhost, a hostname that resolves to loopback", async () => {
    const error = await refusal(createGuardedFetch({ allow: "" })(`http://localhost:${port}/hook`));
    expect(error.message).toMatch(/^refused to connect to localhost \((127\.0\.0\.1|::1): loopback address/);
    expect(connections).toBe(0);
  });

  it("refuses a hostname that resolves to loopback however it is spelled in DNS", async () => {
    vi.spyOn(dns, "lookup").mockImplementation(((
      _hostname: string,
      _options: LookupOptions,
      callback: (error: null, addresses: LookupAddress[]) => void,
    ) => callback(null, [{ address: "127.0.0.1", family: 4 }])) as unknown as typeof dns.lookup);
    const error = await refusal(createGuardedFetch({ allow: "" })(`http://webhooks.example:${port}/`));
    expect(error.message).toContain("refused to connect to webhooks.example (127.0.0.1: loopback address)");
    expect(connections).toBe(0);

    const response = await createGuardedFetch({ allow: "127.0.0.0/8" })(`http://webhooks.example:${port}/`);
    expect(response.status).toBe(200);
    expect(seen[0]?.headers.host).toBe(`webhooks.example:${port}`);
  });

  it.each([`http://[::1]:PORT/`, `http://2130706433:PORT/`, `http://0x7f.1:PORT/`, `http://[::ffff:127.0.0.1]:PORT/`])(
    "refuses the loopback literal %s",
    async (url) => {
      await refusal(createGuardedFetch({ allow: "" })(url.replace("PORT", String(port))));
      expect(connections).toBe(0);
    },
  );

  it("sends the request when 127.0.0.0/8 is allowed and returns the response", async () => {
    const guarded = createGuardedFetch({ allow: "127.0.0.0/8" });
    const response = await guarded(`http://localhost:${port}/hook`, {
      method: "POST",
      headers: { "content-type": "application/json", "webhook-id": "msg_1" },
      body: '{"ok":true}',
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("hello from /hook");
    expect(seen).toEqual([
      expect.objectContaining({
        method: "POST",
        url: "/hook",
        body: '{"ok":true}',
        headers: expect.objectContaining({ "webhook-id": "msg_1" }),
      }),
    ]);
  });

  it("accepts a Request built by Node's own fetch (as aws4fetch makes them)", async () => {
    const request = new Request(`http://127.0.0.1:${port}/signed`, {
      method: "PUT",
      headers: { authorization: "AWS4-HMAC-SHA256 Credential=x" },
      body: "payload",
    });
    const response = await createGuardedFetch({ allow: "127.0.0.1" })(request);
    expect(response.status).toBe(200);
    expect(seen).toEqual([
      expect.objectContaining({
        method: "PUT",
        url: "/signed",
        body: "payload",
        headers: expect.objectContaining({ authorization: "AWS4-HMAC-SHA256 Credential=x" }),
      }),
    ]);
  });

  it("returns a redirect as the 3xx response instead of following it", async () => {
    const guarded = createGuardedFetch({ allow: "127.0.0.0/8" });
    const response = await guarded(`http://127.0.0.1:${port}/redirect`, { redirect: "follow" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`http://127.0.0.1:${port}/elsewhere`);
    expect(seen.map((r) => r.url)).toEqual(["/redirect"]);
  });

  it("keeps request headers and bodies out of the refusal", async () => {
    const error = await refusal(
      createGuardedFetch({ allow: "" })(`http://127.0.0.1:${port}/`, {
        method: "POST",
        headers: { authorization: "Bearer very-secret-token" },
        body: "secret-body",
      }),
    );
    expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toMatch(/very-secret-token|secret-body/);
  });
});

describe("guarded fetch to private and metadata addresses", { timeout: 5_000 }, () => {
  let socketsOpened: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    // Belt and braces: even a broken guard must not put a packet on the wire from a test.
    socketsOpened = vi.fn(() => {
      throw new Error("the test tried to open a socket");
    });
    vi.spyOn(net, "connect").mockImplementation(socketsOpened as never);
    vi.spyOn(net, "createConnection").mockImplementation(socketsOpened as never);
    vi.spyOn(tls, "connect").mockImplementation(socketsOpened as never);
  });

  it.each([
    ["http://10.0.0.1/", "10.0.0.1 (private address)"],
    ["http://169.254.169.254/latest/meta-data/", "169.254.169.254 (cloud metadata address)"],
    ["http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254 (cloud metadata address)"],
    ["http://100.64.0.1/", "100.64.0.1 (carrier-grade NAT address)"],
    ["http://0.0.0.0/", "0.0.0.0 (unspecified address)"],
    ["http://[::]/", ":: (unspecified address)"],
    ["http://[fe80::1]/", "fe80::1 (link-local address)"],
    ["http://[64:ff9b::a9fe:a9fe]/", "64:ff9b::a9fe:a9fe (cloud metadata address behind NAT64)"],
    ["http://[::ffff:a9fe:a9fe]/", "::ffff:a9fe:a9fe (cloud metadata address, IPv4-mapped)"],
    ["https://192.168.1.1/", "192.168.1.1 (private address)"],
  ])("refuses %s before opening any socket", async (url, why) => {
    const started = performance.now();
    const error = await refusal(createGuardedFetch({ allow: "127.0.0.0/8,::1" })(url));
    expect(error.message).toBe(`refused to connect to ${why}; allow it with ALLOW_PRIVATE_TARGETS`);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(socketsOpened).not.toHaveBeenCalled();
  });
});

describe("guarded fetch configured from the environment", { timeout: 5_000 }, () => {
  async function freshGuardedFetch() {
    vi.resetModules();
    return (await import("@/lib/outbound/guarded-fetch")).guardedFetch;
  }

  it("allows what ALLOW_PRIVATE_TARGETS allows", async () => {
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.0/8,::1");
    const response = await (await freshGuardedFetch())(`http://127.0.0.1:${port}/env`);
    expect(await response.text()).toBe("hello from /env");
  });

  it("refuses loopback when ALLOW_PRIVATE_TARGETS is empty", async () => {
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "");
    const guarded = await freshGuardedFetch();
    // A fresh module graph has its own error class, so recognise the refusal by its code.
    await expect(guarded(`http://127.0.0.1:${port}/env`)).rejects.toMatchObject({
      code: "OUTBOUND_ADDRESS_REFUSED",
      message: expect.stringContaining("refused to connect to 127.0.0.1 (loopback address)"),
    });
    expect(connections).toBe(0);
  });

  it("fails with a ConfigError naming a malformed entry", async () => {
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.0/8,127.0.0.0/40");
    const guarded = await freshGuardedFetch();
    await expect(guarded(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({
      name: "ConfigError",
      message: expect.stringContaining('"127.0.0.0/40"'),
    });
    expect(() => createGuardedFetch()).toThrow(ConfigError);
    expect(connections).toBe(0);
  });
});
