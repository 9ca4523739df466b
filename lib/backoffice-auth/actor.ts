import { verifyApiToken } from "../api-tokens/manage-api-tokens";
import { getDb } from "../db";
import { ForbiddenError } from "../errors";
import { getBackofficeAuth } from ".";
import type { Actor } from "./actor-kinds";

export { describeActor, SYSTEM_ACTOR, type Actor } from "./actor-kinds";

/**
 * The signed-in user behind a request that only a person may make (creating or revoking API
 * tokens): a leaked token must not be able to mint more tokens or revoke its owner's.
 */
export function requireSignedInUser(actor: Actor, doing: string): Extract<Actor, { kind: "user" }> {
  if (actor.kind !== "user") throw new ForbiddenError(`Only a signed-in user can ${doing}; an API token cannot`);
  return actor;
}

/** The actor behind a request's `Authorization: Bearer` token or session cookie, if any. */
export async function authenticateRequest(headers: Headers): Promise<Actor | null> {
  const bearer = headers.get("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer) {
    const token = await verifyApiToken(await getDb(), bearer);
    return token ? { kind: "api-token", tokenId: token.id, name: token.name } : null;
  }
  const session = await (await getBackofficeAuth()).api.getSession({ headers });
  return session ? { kind: "user", userId: session.user.id, email: session.user.email } : null;
}
