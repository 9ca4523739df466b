import fs from "node:fs";
import { processTree } from "./process-usage";

/** Resident memory of one process from /proc/<pid>/status, in MB: total, anonymous (heap, stacks, buffers) and file-backed (code). */
export interface ProcessRss {
  pid: number;
  rssMb: number;
  anonMb: number;
  fileMb: number;
}

function statusKb(status: string, field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
}

export function processRss(pid: number): ProcessRss | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return {
      pid,
      rssMb: statusKb(status, "VmRSS") / 1024,
      anonMb: statusKb(status, "RssAnon") / 1024,
      fileMb: statusKb(status, "RssFile") / 1024,
    };
  } catch {
    return null;
  }
}

/**
 * The server process of a `next start` tree: the one with the most resident memory (`next start`
 * keeps a small launcher and serves from a child). Read from /proc, so nothing inside the server
 * is touched to measure it.
 */
export function serverProcessRss(root: number): ProcessRss | null {
  const all = processTree(root)
    .map(processRss)
    .filter((p): p is ProcessRss => p !== null);
  return all.sort((a, b) => b.rssMb - a.rssMb)[0] ?? null;
}

/** V8 heap figures from the server's own Prometheus scrape (prom-client's default metrics), in MB. */
export interface ServerHeap {
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

export async function scrapeServerHeap(url: string, token: string): Promise<ServerHeap | null> {
  try {
    const response = await fetch(`${url}/api/metrics`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) return null;
    const text = await response.text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, "m").exec(text)?.[1] ?? NaN) / 1024 / 1024;
    return { heapUsedMb: value("nodejs_heap_size_used_bytes"), heapTotalMb: value("nodejs_heap_size_total_bytes"), externalMb: value("nodejs_external_memory_bytes") };
  } catch {
    return null;
  }
}
