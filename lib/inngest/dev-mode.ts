/**
 * What the Inngest SDK makes of INNGEST_DEV, read the way inngest 4.24 reads it
 * (`Inngest.mode` and `explicitDevUrl` in components/Inngest.js, `parseAsBoolean` and
 * `normalizeUrl` in helpers/env.js): a boolean it knows (`1`/`true`/`0`/`false`, trimmed, any
 * case) decides; any other non-empty value that parses as a URL once `http://` is put in front of
 * it means dev mode against that URL; anything else (unset, empty) is cloud mode.
 */
export type InngestDevMode =
  | { mode: "cloud" }
  | { mode: "dev"; url?: string; schemeless?: boolean };

export function inngestDevMode(value: string | undefined): InngestDevMode {
  const flag = sdkBoolean(value);
  if (flag !== undefined) return flag ? { mode: "dev" } : { mode: "cloud" };
  if (!value || value === "undefined") return { mode: "cloud" };
  const schemeless = !value.includes("://");
  try {
    const url = new URL(schemeless ? `http://${value}` : value);
    return { mode: "dev", url: url.href, schemeless };
  } catch {
    return { mode: "cloud" };
  }
}

function sdkBoolean(value: string | undefined): boolean | undefined {
  const trimmed = value?.trim().toLowerCase();
  if (trimmed === "true" || trimmed === "1") return true;
  if (trimmed === "false" || trimmed === "0") return false;
  return undefined;
}
