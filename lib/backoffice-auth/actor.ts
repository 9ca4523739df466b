import { verifyApiToken } from "../api-tokens/manage-api-tokens";
import { getDb } from "../db";
import { ForbiddenError } from "../errors";
import { getBackofficeAuth } from ".";

/** Who is making a request: a signed-in backoffice user or a machine client with an API token. */
export type Actor =
  | { kind: "user"; userId: string; email: string }
  | { kind: "api-token"; tokenId: string; name: string };

/** How the audit trail names an actor. */
export function describeActor(actor: Actor): string {
  return actor.kind === "user" ? actor.email : `API token "${actor.name}"`;
}

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
