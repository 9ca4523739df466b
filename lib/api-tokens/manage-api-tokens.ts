import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db";
import { apiTokens } from "../db/schema";
import { NotFoundError } from "../errors";
import { newApiTokenSchema, type ListedApiToken } from "./schema";
import { generateApiToken, hashApiToken, looksLikeApiToken } from "./token-format";


const listedColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  prefix: apiTokens.prefix,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
};

/** Creates a token; the returned `token` is the only time it exists in clear. */
export async function createApiToken(db: Database, input: z.input<typeof newApiTokenSchema>, createdBy: string | null) {
  const { name } = newApiTokenSchema.parse(input);
  const { token, tokenHash, prefix } = generateApiToken();
  const [row] = await db.insert(apiTokens).values({ name, tokenHash, prefix, createdBy }).returning(listedColumns);
  return { ...row!, token };
}

export function listApiTokens(db: Database): Promise<ListedApiToken[]> {
  return db.select(listedColumns).from(apiTokens).orderBy(desc(apiTokens.createdAt));
}

export async function revokeApiToken(db: Database, id: string): Promise<ListedApiToken> {
  if (!z.uuid().safeParse(id).success) throw new NotFoundError("No such API token");
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning(listedColumns);
  if (row) return row;
  const [existing] = await db.select(listedColumns).from(apiTokens).where(eq(apiTokens.id, id));
  if (!existing) throw new NotFoundError("No such API token");
  return existing; // already revoked: revoking again changes nothing
}

/** Use is recorded at most once a minute per token: every API call (each enqueue) writing its token's row would cost a write per message. */
const LAST_USED_PRECISION = "1 minute";

/** The token's name when it is valid and not revoked; records its use (to the minute). */
export async function verifyApiToken(db: Database, token: string): Promise<{ id: string; name: string } | null> {
  if (!looksLikeApiToken(token)) return null;
  const rows = (await db.execute(sql`
    with valid as (
      select id, name, last_used_at from api_tokens where token_hash = ${hashApiToken(token)} and revoked_at is null
    ), used as (
      update api_tokens set last_used_at = now()
      where id in (select id from valid where last_used_at is null or last_used_at < now() - ${LAST_USED_PRECISION}::interval)
    )
    select id, name from valid`)) as unknown as { id: string; name: string }[];
  return rows[0] ?? null;
}
