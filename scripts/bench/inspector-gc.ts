import { WebSocket } from "undici";

/**
 * A full garbage collection in another Node process, through its inspector: SIGUSR1 opens the
 * inspector (on the port `--inspect-port` names; 0 = any, printed as "Debugger listening on
 * ws://…" in the output the caller passes), then the DevTools protocol's HeapProfiler.collectGarbage.
 * Nothing in the process has to expose anything for it.
 */
export async function collectGarbageIn(pid: number, output: () => string): Promise<void> {
  const url = await inspectorUrl(pid, output);
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error(`could not connect to the inspector at ${url}`));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("HeapProfiler.collectGarbage did not answer within 60 s")), 60_000);
      socket.onmessage = (event) => {
        if (JSON.parse(String(event.data)).id === 1) {
          clearTimeout(timer);
          resolve();
        }
      };
      socket.send(JSON.stringify({ id: 1, method: "HeapProfiler.collectGarbage" }));
    });
  } finally {
    socket.close();
  }
}

const opened = new Map<number, string>();

async function inspectorUrl(pid: number, output: () => string): Promise<string> {
  const known = opened.get(pid);
  if (known) return known;
  const before = new Set(output().match(/ws:\/\/[^\s]+/g) ?? []);
  process.kill(pid, "SIGUSR1");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const url = (output().match(/ws:\/\/[^\s]+/g) ?? []).find((u) => !before.has(u));
    if (url) {
      opened.set(pid, url);
      return url;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`process ${pid} opened no inspector within 10 s (is --inspect-port set?)`);
}
