import dns from "node:dns";
import type { LookupAddress, LookupOptions } from "node:dns";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAddressPolicy } from "@/lib/outbound/address-policy";
import { createGuardedConnector, guardedLookup } from "@/lib/outbound/guarded-connector";
import { OutboundAddressRefusedError } from "@/lib/outbound/refused-error";

type LookupResult = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };

/** Makes dns.lookup answer from a table; nothing reaches a resolver. */
function resolveTo(addresses: LookupAddress[]) {
  return vi.spyOn(dns, "lookup").mockImplementation(((
    _hostname: string,
    _options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  ) => callback(null, addresses)) as unknown as typeof dns.lookup);
}

function lookup(allow: string, hostname: string, options: LookupOptions): Promise<LookupResult> {
  return new Promise((resolve) =>
    guardedLookup(createAddressPolicy(allow))(hostname, options, (error, address, family) =>
      resolve({ error, address, family }),
    ),
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("guardedLookup", () => {
  it("refuses a hostname whose every address is private, naming them", async () => {
    resolveTo([
      { address: "127.0.0.1", family: 4 },
      { address: "::1", family: 6 },
    ]);
    const { error } = await lookup("", "rebind.example", { all: true });
    expect(error).toBeInstanceOf(OutboundAddressRefusedError);
    expect(error).toMatchObject({ code: "OUTBOUND_ADDRESS_REFUSED", target: "rebind.example" });
    expect(error?.message).toBe(
      "refused to connect to rebind.example (127.0.0.1: loopback address; ::1: loopback address); allow it with ALLOW_PRIVATE_TARGETS",
    );
  });

  it("drops the private addresses of a mixed answer and keeps the allowed ones", async () => {
    resolveTo([
      { address: "10.0.0.5", family: 4 },
      { address: "93.184.216.34", family: 4 },
      { address: "fd00:ec2::254", family: 6 },
    ]);
    expect(await lookup("", "mixed.example", { all: true })).toEqual({
      error: null,
      address: [{ address: "93.184.216.34", family: 4 }],
      family: undefined,
    });
    expect(await lookup("", "mixed.example", {})).toEqual({
      error: null,
      address: "93.184.216.34",
      family: 4,
    });
  });

  it("lets allow-listed private addresses through", async () => {
    resolveTo([
      { address: "169.254.169.254", family: 4 },
      { address: "127.0.0.1", family: 4 },
    ]);
    expect(await lookup("127.0.0.0/8", "dev.example", {})).toEqual({
      error: null,
      address: "127.0.0.1",
      family: 4,
    });
  });

  it("always asks the resolver for every address, so none escapes the filter", async () => {
    const spy = resolveTo([{ address: "93.184.216.34", family: 4 }]);
    await lookup("", "public.example", { family: 4 });
    expect(spy).toHaveBeenCalledWith("public.example", { family: 4, all: true }, expect.any(Function));
  });

  it("passes resolver errors through unchanged", async () => {
    const notFound = Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.invalid"), { code: "ENOTFOUND" });
    vi.spyOn(dns, "lookup").mockImplementation(((_h: string, _o: LookupOptions, callback: (e: Error) => void) =>
      callback(notFound)) as unknown as typeof dns.lookup);
    expect((await lookup("", "nowhere.invalid", { all: true })).error).toBe(notFound);
  });
});

describe("createGuardedConnector", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1", "loopback address"],
    ["[::1]", "::1", "loopback address"],
    ["::ffff:7f00:1", "::ffff:7f00:1", "loopback address, IPv4-mapped"],
    ["10.0.0.1", "10.0.0.1", "private address"],
    ["169.254.169.254", "169.254.169.254", "cloud metadata address"],
  ])("refuses the IP literal %s before opening a socket", (hostname, address, reason) => {
    const lookupSpy = vi.spyOn(dns, "lookup");
    const callback = vi.fn();
    createGuardedConnector(createAddressPolicy(""))({ hostname, protocol: "http:", port: "80" }, callback);
    // Synchronous: no socket was created, so nothing can have been sent.
    expect(callback).toHaveBeenCalledTimes(1);
    const [error, socket] = callback.mock.calls[0]!;
    expect(socket).toBeNull();
    expect(error).toBeInstanceOf(OutboundAddressRefusedError);
    expect((error as Error).message).toBe(
      `refused to connect to ${address} (${reason}); allow it with ALLOW_PRIVATE_TARGETS`,
    );
    expect(lookupSpy).not.toHaveBeenCalled();
  });
});
