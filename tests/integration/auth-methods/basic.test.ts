import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicMethod } from "@/lib/auth-methods/basic";
import { deliver, startReceiver, type Receiver } from "../../helpers/http-receiver";
import { jsonRequest } from "../../helpers/signing-context";

const credentials = { username: "Zoë Ñúñez 東京", password: "pä:ss wörd 🔑 £" };

/** Decodes Basic credentials as a receiver does: base64 → UTF-8 → split at the first colon (RFC 7617). */
function decodeBasic(header: string | undefined) {
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/.exec(header ?? "");
  if (!match) return undefined;
  const decoded = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(match[1]!, "base64"));
  const colon = decoded.indexOf(":");
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

describe("basic: a receiver decoding the Authorization header", () => {
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver((request) => {
      const received = decodeBasic(request.headers.authorization);
      const accepted = received?.username === credentials.username && received.password === credentials.password;
      return { accepted, reason: JSON.stringify(received ?? null) };
    });
  });
  afterAll(() => receiver.close());

  it("gets the exact UTF-8 username and password back", async () => {
    const request = await basicMethod.authorize(
      jsonRequest(`${receiver.url}/hooks`),
      basicMethod.schema.parse(credentials),
    );
    const response = await deliver(request);
    expect(response.status).toBe(200);
    expect(JSON.parse(receiver.decisions.at(-1)!.decision.reason)).toEqual(credentials);
  });

  it("is refused with another password", async () => {
    const request = await basicMethod.authorize(
      jsonRequest(`${receiver.url}/hooks`),
      { ...credentials, password: "pa:ss word" },
    );
    expect((await deliver(request)).status).toBe(401);
  });
});
