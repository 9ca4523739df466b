/**
 * One line that says why PostgreSQL could not be reached — host, authentication or database —
 * without the password and without a stack trace.
 */
export function describeConnectionError(error: unknown, url: string): string {
  const target = describeTarget(url);
  const e = error as { code?: string; message?: string; errors?: unknown[] };
  const code = e?.code ?? (e?.errors?.[0] as { code?: string } | undefined)?.code;
  switch (code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `Cannot reach PostgreSQL: host "${target.host}" was not found. Check the host in DATABASE_URL.`;
    case "ECONNREFUSED":
      return `Cannot reach PostgreSQL: nothing is listening at ${target.host}:${target.port}. Start PostgreSQL or fix the host/port in DATABASE_URL.`;
    case "ETIMEDOUT":
    case "CONNECT_TIMEOUT":
      return `Cannot reach PostgreSQL: connecting to ${target.host}:${target.port} timed out. Check the host/port in DATABASE_URL and your network.`;
    case "28P01":
    case "28000":
      return `PostgreSQL refused the login for user "${target.user}" at ${target.host}:${target.port}: wrong user or password in DATABASE_URL.`;
    case "3D000":
      return `PostgreSQL at ${target.host}:${target.port} has no database "${target.database}". Create it (createdb ${target.database}) or fix the database name in DATABASE_URL.`;
    case "42501":
      return `PostgreSQL user "${target.user}" lacks a privilege this app needs on database "${target.database}" (it creates tables at start-up).`;
    default:
      return `Cannot use PostgreSQL at ${target.host}:${target.port}/${target.database}: ${redact(e?.message ?? String(error), url)}`;
  }
}

function describeTarget(url: string) {
  try {
    const u = new URL(url);
    return {
      host: u.hostname || "localhost",
      port: u.port || "5432",
      user: decodeURIComponent(u.username) || "(default)",
      database: decodeURIComponent(u.pathname.replace(/^\//, "")) || "(default)",
    };
  } catch {
    return { host: "?", port: "?", user: "?", database: "?" };
  }
}

function redact(message: string, url: string) {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? message.split(password).join("***") : message;
  } catch {
    return message;
  }
}
