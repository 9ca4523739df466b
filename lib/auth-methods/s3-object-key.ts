import { requiredText } from "./common-fields";
import type { MessageContext } from "./types";

const twoDigits = (value: number) => String(value).padStart(2, "0");

/** What `{name}` stands for in a filename format; dates are the message's creation time in UTC. */
export const OBJECT_KEY_PLACEHOLDERS = {
  messageId: (message: MessageContext) => message.id,
  action: (message: MessageContext) => message.action,
  customerId: (message: MessageContext) => message.customerId,
  yyyy: (message: MessageContext) => String(message.createdAt.getUTCFullYear()).padStart(4, "0"),
  MM: (message: MessageContext) => twoDigits(message.createdAt.getUTCMonth() + 1),
  dd: (message: MessageContext) => twoDigits(message.createdAt.getUTCDate()),
  HH: (message: MessageContext) => twoDigits(message.createdAt.getUTCHours()),
  mm: (message: MessageContext) => twoDigits(message.createdAt.getUTCMinutes()),
  ss: (message: MessageContext) => twoDigits(message.createdAt.getUTCSeconds()),
  timestamp: (message: MessageContext) => String(message.createdAt.getTime()),
} as const;

export type ObjectKeyPlaceholder = keyof typeof OBJECT_KEY_PLACEHOLDERS;

const PLACEHOLDER_LIST = Object.keys(OBJECT_KEY_PLACEHOLDERS)
  .map((name) => `{${name}}`)
  .join(", ");

const MAX_KEY_BYTES = 1024;

type FormatPart = { literal: string } | { placeholder: ObjectKeyPlaceholder };

function isPlaceholder(name: string): name is ObjectKeyPlaceholder {
  return Object.hasOwn(OBJECT_KEY_PLACEHOLDERS, name);
}

/** Splits a filename format into literals and placeholders, or says what is wrong with it. */
export function parseFilenameFormat(format: string): { parts: FormatPart[] } | { error: string } {
  const parts: FormatPart[] = [];
  for (const match of format.matchAll(/\{([^{}]*)\}|[{}]|[^{}]+/g)) {
    const [text, name] = match;
    const position = match.index + 1;
    if (name === undefined && (text === "{" || text === "}")) {
      return { error: `Unbalanced "${text}" at character ${position}: placeholders are written like {messageId}` };
    }
    if (name === undefined) {
      parts.push({ literal: text });
    } else if (isPlaceholder(name)) {
      parts.push({ placeholder: name });
    } else {
      return { error: `Unknown placeholder {${name}} at character ${position}; available: ${PLACEHOLDER_LIST}` };
    }
  }
  return { parts };
}

/** Why a key cannot be used as a URL path (clients resolve "." and ".." segments), if it cannot. */
export function objectKeyProblem(key: string): string | undefined {
  if (key === "") return "is empty";
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`;
  if (key.split("/").some((segment) => segment === "" || segment === "." || segment === "..")) {
    return 'has an empty, "." or ".." segment (check for a leading, trailing or double "/")';
  }
  return undefined;
}

function renderParts(parts: readonly FormatPart[], message: MessageContext): string {
  return parts
    .map((part) => ("literal" in part ? part.literal : OBJECT_KEY_PLACEHOLDERS[part.placeholder](message)))
    .join("");
}

const SAMPLE_MESSAGE: MessageContext = {
  id: "message",
  action: "action",
  customerId: "customer",
  createdAt: new Date(0),
};

/** Checks a filename format at save time: syntax, placeholders, and the shape of the keys it makes. */
export function filenameFormatProblem(format: string): string | undefined {
  const parsed = parseFilenameFormat(format);
  if ("error" in parsed) return parsed.error;
  const problem = objectKeyProblem(renderParts(parsed.parts, SAMPLE_MESSAGE));
  return problem && `The filename format makes object keys that ${problem}`;
}

export function filenameFormatSchema(label: string) {
  return requiredText(label).superRefine((format, ctx) => {
    const problem = filenameFormatProblem(format);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
}

export const FILENAME_FORMAT_HELP =
  `The object key for each message. Placeholders: ${PLACEHOLDER_LIST} — ` +
  "{timestamp} is milliseconds since 1970, the date parts are the message's creation time in UTC. " +
  'Use "/" to make folders; braces are only allowed around placeholders.';

/** The object key for one message; throws when the message's values make an unusable key. */
export function buildObjectKey(format: string, message: MessageContext): string {
  const parsed = parseFilenameFormat(format);
  if ("error" in parsed) throw new Error(parsed.error);
  const key = renderParts(parsed.parts, message);
  const problem = objectKeyProblem(key);
  if (problem) throw new Error(`The object key "${key}" for message ${message.id} ${problem}`);
  return key;
}

/** RFC 3986 percent-encoding of each segment, `/` kept: the form S3 canonicalizes and verifies. */
export function encodeObjectKey(key: string): string {
  return key
    .split("/")
    .map((segment) =>
      encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join("/");
}
