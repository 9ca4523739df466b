/**
 * The first `maxBytes` of a fetch Response's body (or less, when it ends or breaks off sooner); the
 * rest is cancelled, which frees the connection. A body cut short by the peer keeps what arrived.
 */
export async function readBoundedBody(response: Response, maxBytes: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // The status line arrived, so the peer answered; a body cut short only shortens what is kept.
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, maxBytes);
}
