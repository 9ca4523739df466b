/** A same-origin JSON request; a failure becomes the API's plain `error` message. */
export async function requestJson<T>(path: string, init: RequestInit = {}): Promise<{ ok: true; body: T } | { ok: false; error: string }> {
  const response = await fetch(path, { ...init, headers: { "content-type": "application/json", ...init.headers } }).catch(() => null);
  if (!response) return { ok: false, error: "The app could not be reached. Check your connection and try again." };
  const body = await response.json().catch(() => ({}));
  if (!response.ok) return { ok: false, error: body.error ?? `The request failed (${response.status}). Try again.` };
  return { ok: true, body: body as T };
}
