import { performance } from "node:perf_hooks";
import type postgres from "postgres";

export interface Timing {
  medianMs: number;
  p95Ms: number;
}

/** Wall time of `run` as the app sees it (round trip and row decoding included): median and p95. */
export async function time(run: () => Promise<unknown>, runs = 20, warmUp = 2): Promise<Timing> {
  for (let i = 0; i < warmUp; i++) await run();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)]!;
  return { medianMs: at(0.5), p95Ms: at(0.95) };
}

export interface CapturedQuery {
  sql: string;
  params: unknown[];
}

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Scan Direction"?: string;
  "Relation Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  "Rows Removed by Filter"?: number;
  "Rows Removed by Index Recheck"?: number;
  "Heap Fetches"?: number;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  /** Partitions an Append or Merge Append skipped when the query started (run-time pruning). */
  "Subplans Removed"?: number;
  Plans?: PlanNode[];
}

export interface PlanSummary {
  executionMs: number;
  /** e.g. "Index Scan Backward webhook_attempts_*_status_created_at_id_action_idx 51 rows (+1,204 filtered) in 9 partitions" per index of webhook_attempts. */
  scans: string;
  /** Rows the scans of webhook_attempts read (returned + removed by a filter). */
  attemptRowsRead: number;
  buffers: number;
  sorted: boolean;
  text: string;
}

/** EXPLAIN (ANALYZE, BUFFERS) of exactly the statement the app sent, summarised. */
export async function explain(sql: postgres.Sql, query: CapturedQuery): Promise<PlanSummary> {
  const params = query.params as postgres.ParameterOrJSON<never>[];
  const textRows = await sql.unsafe(`explain (analyze, buffers) ${query.sql}`, params);
  const [json] = await sql.unsafe(`explain (analyze, buffers, format json) ${query.sql}`, params);
  const [plan] = json!["QUERY PLAN"] as [{ Plan: PlanNode; "Execution Time": number }];
  // webhook_attempts is partitioned by day: the scans of its partitions with the same index (named
  // webhook_attempts_<day>_<columns>_idx) are summed into one entry, with how many partitions each read.
  const scans = new Map<string, { rows: number; removed: number; heap?: number; partitions: number }>();
  let read = 0;
  let sorted = false;
  let pruned = 0;
  const walk = (node: PlanNode) => {
    if (node["Node Type"] === "Sort") sorted = true;
    pruned += node["Subplans Removed"] ?? 0;
    if (/^webhook_attempts(_\d{8}|_default)?$/.test(node["Relation Name"] ?? "")) {
      const rows = node["Actual Rows"] * node["Actual Loops"];
      const removed = ((node["Rows Removed by Filter"] ?? 0) + (node["Rows Removed by Index Recheck"] ?? 0)) * node["Actual Loops"];
      read += rows + removed;
      const direction = node["Scan Direction"] === "Backward" ? " Backward" : "";
      const index = (node["Index Name"] ?? "").replace(/^webhook_attempts_(\d{8}|default)_/, "webhook_attempts_*_");
      const key = `${node["Node Type"]}${direction} ${index}`.trim();
      const scan = scans.get(key) ?? { rows: 0, removed: 0, partitions: 0 };
      scan.rows += rows;
      scan.removed += removed;
      scan.partitions += 1;
      if (node["Heap Fetches"] !== undefined) scan.heap = (scan.heap ?? 0) + node["Heap Fetches"];
      scans.set(key, scan);
    }
    node.Plans?.forEach(walk);
  };
  walk(plan.Plan);
  const described = [...scans].map(([key, s]) => {
    const heap = s.heap !== undefined ? `, ${fmt(s.heap)} heap fetches` : "";
    const partitions = s.partitions > 1 ? ` in ${s.partitions} partitions` : "";
    return `${key} ${fmt(s.rows)} rows${s.removed ? ` (+${fmt(s.removed)} filtered)` : ""}${heap}${partitions}`;
  });
  if (pruned) described.push(`${pruned} partitions pruned at start`);
  return {
    executionMs: plan["Execution Time"],
    scans: described.join("; "),
    attemptRowsRead: read,
    buffers: (plan.Plan["Shared Hit Blocks"] ?? 0) + (plan.Plan["Shared Read Blocks"] ?? 0),
    sorted,
    text: textRows.map((r) => r["QUERY PLAN"] as string).join("\n"),
  };
}

export const fmt = (n: number) => Math.round(n).toLocaleString("en");
