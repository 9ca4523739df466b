import dns from "node:dns/promises";
import { isIP } from "node:net";
import type { FieldIssue } from "../errors";
import { createAddressPolicy, type AddressPolicy } from "./address-policy";

/** Method parameters holding a URL that the server itself sends requests to (not a browser). */
const SERVER_FETCHED_PARAMS = ["tokenUrl"] as const;
const LOOKUP_TIMEOUT_MS = 2_000;

/**
 * Save-time check of the URLs a site makes the server call: a literal address, or a name resolving
 * to one, that outbound requests would refuse gets a field error now rather than failed attempts
 * later. A name that does not resolve passes (DNS may differ at send time). The check at connect
 * time (guarded-connector.ts) stays the real guard, against DNS rebinding included.
 */
export async function refusedTargetIssues(
  site: { url: string; authParams: Record<string, unknown> },
  policy: AddressPolicy = createAddressPolicy(),
): Promise<FieldIssue[]> {
  const targets: { path: FieldIssue["path"]; url: string }[] = [{ path: ["url"], url: site.url }];
  for (const field of SERVER_FETCHED_PARAMS) {
    const value = site.authParams[field];
    if (typeof value === "string") targets.push({ path: ["authParams", field], url: value });
  }
  const issues = await Promise.all(
    targets.map(async ({ path, url }) => {
      const message = await refusal(new URL(url).hostname.replace(/^\[|\]$/g, ""), policy);
      return message ? { path, message } : null;
    }),
  );
  return issues.filter((i): i is FieldIssue => i !== null);
}

async function refusal(host: string, policy: AddressPolicy): Promise<string | null> {
  if (isIP(host)) {
    const decision = policy.decide(host);
    return decision.allowed ? null : `${host} is ${article(decision.reason)} ${decision.reason}; ${ALLOWED_ONLY}`;
  }
  for (const { address } of await lookup(host)) {
    const decision = policy.decide(address);
    if (!decision.allowed) return `${host} resolves to ${address}, ${article(decision.reason)} ${decision.reason}; ${ALLOWED_ONLY}`;
  }
  return null;
}

const ALLOWED_ONLY = "allowed only when ALLOW_PRIVATE_TARGETS lists it";

async function lookup(host: string): Promise<{ address: string }[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<[]>((resolve) => (timer = setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS)));
  try {
    return await Promise.race([dns.lookup(host, { all: true }).catch(() => []), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function article(noun: string): string {
  return /^[aeiou]/i.test(noun) ? "an" : "a";
}
