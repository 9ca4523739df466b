import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError } from "@/lib/env";
import { createAddressPolicy, parseAllowList } from "@/lib/outbound/address-policy";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("address policy without an allow-list", () => {
  const policy = createAddressPolicy("");

  it.each([
    ["127.0.0.1", "loopback address"],
    ["127.255.255.254", "loopback address"],
    ["::1", "loopback address"],
    ["0.0.0.0", "unspecified address"],
    ["0.1.2.3", "unspecified address"],
    ["::", "unspecified address"],
    ["10.1.2.3", "private address"],
    ["172.16.0.1", "private address"],
    ["172.31.255.255", "private address"],
    ["192.168.1.1", "private address"],
    ["100.64.0.1", "carrier-grade NAT address"],
    ["100.100.100.200", "carrier-grade NAT address"],
    ["169.254.169.254", "cloud metadata address"],
    ["169.254.1.1", "link-local address"],
    ["fe80::1", "link-local address"],
    ["fe80::1%eth0", "link-local address"],
    ["fc00::1", "unique-local address"],
    ["fd12:3456::1", "unique-local address"],
    ["fd00:ec2::254", "cloud metadata address"],
    ["224.0.0.1", "multicast address"],
    ["239.255.255.250", "multicast address"],
    ["ff02::1", "multicast address"],
    ["255.255.255.255", "broadcast address"],
    ["240.0.0.1", "reserved address"],
    ["192.0.0.8", "reserved address"],
    ["192.0.2.1", "documentation address"],
    ["2001:db8::1", "documentation address"],
    ["198.18.0.1", "benchmarking address"],
    ["100::1", "discard-only address"],
    ["fec0::1", "site-local address"],
    ["::127.0.0.1", "reserved address"],
    ["::ffff:127.0.0.1", "loopback address, IPv4-mapped"],
    ["::ffff:7f00:1", "loopback address, IPv4-mapped"],
    ["::ffff:0.0.0.0", "unspecified address, IPv4-mapped"],
    ["::ffff:10.0.0.1", "private address, IPv4-mapped"],
    ["::ffff:a9fe:a9fe", "cloud metadata address, IPv4-mapped"],
    ["64:ff9b::7f00:1", "loopback address behind NAT64"],
    ["64:ff9b::10.0.0.1", "private address behind NAT64"],
    ["64:ff9b::a9fe:a9fe", "cloud metadata address behind NAT64"],
    ["64:ff9b:1::1", "local-use NAT64 address"],
    ["::ffff:0:7f00:1", "loopback address behind IPv4-translated"],
    ["2002:7f00:1::1", "loopback address behind 6to4"],
    ["2002:c0a8:101::1", "private address behind 6to4"],
    ["localhost", "not an IP address"],
    ["[::1]", "not an IP address"],
    ["2130706433", "not an IP address"],
    ["0x7f.0.0.1", "not an IP address"],
  ])("refuses %s (%s)", (ip, reason) => {
    expect(policy.decide(ip)).toEqual({ allowed: false, reason });
  });

  it.each([
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "11.0.0.1",
    "172.32.0.1",
    "100.128.0.1",
    "169.255.0.1",
    "2606:4700::1",
    "2a00:1450:4001::1",
    "::ffff:93.184.216.34",
    "64:ff9b::5db8:d822",
    "2002:5db8:d822::1",
  ])("allows the public address %s", (ip) => {
    expect(policy.decide(ip)).toEqual({ allowed: true });
  });
});

describe("address policy with an allow-list", () => {
  it.each([
    ["127.0.0.0/8,::1", "127.0.0.1", true],
    ["127.0.0.0/8,::1", "127.1.2.3", true],
    ["127.0.0.0/8,::1", "::1", true],
    ["127.0.0.0/8,::1", "::ffff:127.0.0.1", true],
    ["127.0.0.0/8,::1", "::ffff:7f00:1", true],
    ["127.0.0.0/8,::1", "10.0.0.1", false],
    ["127.0.0.0/8,::1", "169.254.169.254", false],
    ["127.0.0.0/8,::1", "fe80::1", false],
    ["127.0.0.0/8,::1", "::", false],
    ["127.0.0.0/8,::1", "0.0.0.0", false],
    // NAT64 reaches the gateway's idea of that address, not ours: only an IPv6 entry allows it.
    ["127.0.0.0/8,::1", "64:ff9b::7f00:1", false],
    ["64:ff9b::/96", "64:ff9b::7f00:1", true],
    ["::1", "127.0.0.1", false],
    ["127.0.0.1", "::1", false],
    ["127.0.0.1", "127.0.0.2", false],
    ["10.0.0.0/8", "10.255.0.1", true],
    ["10.0.0.0/8", "127.0.0.1", false],
    ["169.254.169.254", "169.254.169.254", true],
    ["169.254.169.254", "169.254.169.253", false],
    ["fd00:ec2::254", "fd00:ec2::254", true],
    ["fd00:ec2::254", "fd00:ec2::253", false],
    ["fc00::/7", "fd12::1", true],
    ["fc00::/7", "127.0.0.1", false],
    ["::ffff:192.168.0.0/112", "192.168.5.5", true],
    ["::ffff:192.168.0.0/112", "::ffff:192.168.5.5", true],
    ["::ffff:192.168.0.0/112", "192.169.0.1", true], // public anyway
    ["::ffff:192.168.0.0/112", "10.0.0.1", false],
    [" 127.0.0.1 , ::1 ,", "127.0.0.1", true],
    [" 127.0.0.1 , ::1 ,", "::1", true],
  ])("with %j, %s allowed: %s", (allow, ip, allowed) => {
    expect(createAddressPolicy(allow).decide(ip).allowed).toBe(allowed);
  });

  it("still allows public addresses", () => {
    expect(createAddressPolicy("127.0.0.0/8").decide("2606:4700::1")).toEqual({ allowed: true });
  });

  it("reads ALLOW_PRIVATE_TARGETS from the environment by default", () => {
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.0/8");
    expect(createAddressPolicy().decide("127.0.0.1").allowed).toBe(true);
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "");
    expect(createAddressPolicy().decide("127.0.0.1").allowed).toBe(false);
  });
});

describe("parseAllowList", () => {
  it("parses IPs and CIDR ranges of both families", () => {
    expect(parseAllowList("127.0.0.0/8, ::1 ,10.0.0.1,fc00::/7").map(([a, bits]) => `${a}/${bits}`)).toEqual([
      "127.0.0.0/8",
      "::1/128",
      "10.0.0.1/32",
      "fc00::/7",
    ]);
    expect(parseAllowList("")).toEqual([]);
  });

  it.each([
    "localhost",
    "127.0.0.0/33",
    "::1/129",
    "10.0.0.0/8/8",
    "10.0.0.0/",
    "10.0.0.0/abc",
    "10.0.0.0/-1",
    "127.1",
    "0x7f.0.0.1",
    "2130706433",
    "1.2.3.4.5",
    "fe80::1%eth0",
    "[::1]",
  ])("rejects the malformed entry %j with a ConfigError naming it", (entry) => {
    const parse = () => parseAllowList(`127.0.0.1,${entry}`);
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(`ALLOW_PRIVATE_TARGETS: "${entry}" is not an IP address or CIDR range`);
  });

  it("rejects a malformed environment setting when the policy is created", () => {
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.0/8,not-an-ip");
    expect(() => createAddressPolicy()).toThrow(/"not-an-ip"/);
  });
});
