import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { z } from "zod";
import { withBearer } from "@/lib/oauth/bearer";
import { requiredText } from "./common-fields";
import { loadSigningKey } from "./signing-key";
import { AuthorizationError, type AuthMethodModule } from "./types";

/**
 * Time to live, "{n} minute(s)|hour(s)|day(s)|month(s)|year(s)". Months and years are fixed lengths
 * (30 and 365 days), not calendar ones, so a token's lifetime never depends on the date it is signed.
 */
const UNIT_SECONDS = {
  minute: 60,
  hour: 3600,
  day: 86_400,
  month: 30 * 86_400,
  year: 365 * 86_400,
} as const;
const MAX_TIME_TO_LIVE_SECONDS = 10 * UNIT_SECONDS.year;
const TIME_TO_LIVE = /^(\d{1,7})\s*(minute|hour|day|month|year)s?$/i;

/** Seconds, or null when the text is not a time to live we understand. */
export function parseTimeToLive(text: string): number | null {
  const match = TIME_TO_LIVE.exec(text.trim());
  if (!match) return null;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]!.toLowerCase() as keyof typeof UNIT_SECONDS];
  return seconds > 0 && seconds <= MAX_TIME_TO_LIVE_SECONDS ? seconds : null;
}

/** Claims the method sets itself. */
const RESERVED_CLAIMS = ["iat", "exp"];

const schema = z
  .object({
    algorithm: z.enum(["HS256", "RS256"], { error: "Algorithm must be HS256 or RS256" }),
    secret: requiredText("Secret"),
    payload: z
      .record(z.string().trim().min(1, "Payload keys must not be empty"), z.json({ error: "Payload values must be JSON values" }), {
        error: "Payload must be an object of key-value pairs",
      })
      .default({}),
    timeToLive: requiredText("Time to live").refine((text) => parseTimeToLive(text) !== null, {
      message: 'Time to live must be a number and a unit, e.g. "5 minutes", "1 hour", "7 days", "1 month" or "1 year" (at most 10 years)',
    }),
  })
  .superRefine((params, ctx) => {
    if (params.algorithm === "RS256") {
      const loaded = loadSigningKey(params.secret, "rsa");
      if ("problem" in loaded) {
        ctx.addIssue({ code: "custom", path: ["secret"], message: `For RS256, the secret ${loaded.problem}` });
      }
    }
    const reserved = Object.keys(params.payload).filter((key) => RESERVED_CLAIMS.includes(key));
    if (reserved.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["payload"],
        message: `Payload must not set ${reserved.join(" or ")}: they come from the time to live`,
      });
    }
  });

export type JwtParams = z.infer<typeof schema>;

function signingKey(params: JwtParams) {
  if (params.algorithm === "HS256") return new TextEncoder().encode(params.secret);
  const loaded = loadSigningKey(params.secret, "rsa");
  if ("problem" in loaded) throw new AuthorizationError(`the RS256 secret ${loaded.problem}`);
  return loaded.key;
}

export const jwtMethod = {
  method: "jwt",
  label: "JWT",
  description:
    "Each request carries a freshly signed JSON Web Token (Authorization: Bearer …) with your key-value pairs, issued-at and expiry, signed with a shared secret (HS256) or an RSA private key (RS256).",
  schema,
  secretFields: ["secret"],
  fields: [
    {
      name: "algorithm",
      label: "Algorithm",
      help: "HS256: signed with a secret shared with the receiver. RS256: signed with your RSA private key; the receiver checks it with the public key.",
      kind: "select",
      required: true,
      options: [
        { value: "HS256", label: "HS256 (shared secret)" },
        { value: "RS256", label: "RS256 (RSA private key)" },
      ],
      defaultValue: "HS256",
    },
    {
      name: "secret",
      label: "Secret",
      help: "For HS256, the shared secret exactly as the receiver has it (used as UTF-8 text; 32 characters or more is advisable). For RS256, the RSA private key in PEM format (2048 bits or more). Stored encrypted.",
      kind: "multiline-secret",
      required: true,
    },
    {
      name: "payload",
      label: "Payload",
      help: "Claims to put in every token, e.g. iss = loyalty-app. Values may be text, numbers, true/false or JSON. iat and exp are added for you.",
      kind: "key-values",
      required: false,
    },
    {
      name: "timeToLive",
      label: "Time to live",
      help: 'How long each token is valid after it is signed: a number and a unit, e.g. "5 minutes", "1 hour", "7 days". A month counts as 30 days and a year as 365 days.',
      kind: "text",
      required: true,
      placeholder: "5 minutes",
      defaultValue: "5 minutes",
    },
  ],
  async authorize(request, params, ctx) {
    const lifetime = parseTimeToLive(params.timeToLive);
    if (lifetime === null) throw new AuthorizationError("the time to live is not understood");
    const issuedAt = Math.floor(ctx.now().getTime() / 1000);
    const key = signingKey(params);
    let token: string;
    try {
      token = await new SignJWT({ ...params.payload })
        .setProtectedHeader({ alg: params.algorithm, typ: "JWT" })
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + lifetime)
        .sign(key);
    } catch {
      throw new AuthorizationError(`the token could not be signed with ${params.algorithm}`);
    }
    return withBearer(request, token);
  },
  async explain(sent) {
    const token = /^Bearer (.+)$/.exec(sent.headers.authorization ?? "")?.[1];
    if (!token) return { summary: "The request carries no bearer token.", items: [] };
    const claims = decodeJwt(token);
    const lifetime = claims.iat !== undefined && claims.exp !== undefined ? ` valid ${claims.exp - claims.iat} s from ${new Date(claims.iat * 1000).toISOString()}` : "";
    return {
      summary: `Authorization: Bearer with a JWT${lifetime}. Its decoded header and claims (the token and its signature are not shown):`,
      items: [
        { key: "header", label: "JWT header", value: JSON.stringify(decodeProtectedHeader(token), null, 2), format: "json" },
        { key: "claims", label: "JWT claims", value: JSON.stringify(claims, null, 2), format: "json" },
      ],
    };
  },
} satisfies AuthMethodModule<JwtParams>;
