/* Client- and worker-safe: no sign-in machinery here (actor.ts has it), so the delivery core can audit as the system. */

/**
 * Who is making a change: a signed-in backoffice user, a machine client with an API token, or the
 * system itself (the delivery core deactivating a site after 410 Gone or failing too long).
 */
export type Actor =
  | { kind: "user"; userId: string; email: string }
  | { kind: "api-token"; tokenId: string; name: string }
  | { kind: "system" };

export const SYSTEM_ACTOR: Actor = { kind: "system" };

/** How the audit trail names an actor. */
export function describeActor(actor: Actor): string {
  switch (actor.kind) {
    case "user":
      return actor.email;
    case "api-token":
      return `API token "${actor.name}"`;
    case "system":
      return "system";
  }
}
