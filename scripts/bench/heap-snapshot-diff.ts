/**
 * What grew between two V8 heap snapshots (`tsx scripts/bench/heap-snapshot-diff.ts before.heapsnapshot
 * after.heapsnapshot`): objects counted by type and constructor/name, the largest growths in bytes
 * and in count. Both snapshots are taken after a full collection, so what grew is still reachable.
 */
import fs from "node:fs";

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

type Totals = Map<string, { count: number; bytes: number }>;

function totals(file: string): Totals {
  const heap = JSON.parse(fs.readFileSync(file, "utf8")) as HeapSnapshot;
  const fields = heap.snapshot.meta.node_fields;
  const [typeNames] = heap.snapshot.meta.node_types;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const byKey: Totals = new Map();
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = typeNames[heap.nodes[i + typeAt!]!]!;
    // Strings and code are named by their content: group them by type only.
    const name = ["string", "concatenated string", "sliced string", "code", "number", "hidden"].includes(type) ? "" : heap.strings[heap.nodes[i + nameAt!]!]!.slice(0, 80);
    const key = `${type} ${name}`;
    const entry = byKey.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += heap.nodes[i + sizeAt!]!;
    byKey.set(key, entry);
  }
  return byKey;
}

const [beforeFile, afterFile] = process.argv.slice(2);
if (!beforeFile || !afterFile) throw new Error("usage: heap-snapshot-diff.ts <before.heapsnapshot> <after.heapsnapshot>");
const before = totals(beforeFile);
const after = totals(afterFile);
const sum = (t: Totals) => [...t.values()].reduce((s, e) => s + e.bytes, 0);
const rows = [...new Set([...before.keys(), ...after.keys()])].map((key) => {
  const b = before.get(key) ?? { count: 0, bytes: 0 };
  const a = after.get(key) ?? { count: 0, bytes: 0 };
  return { key, count: a.count - b.count, bytes: a.bytes - b.bytes, countAfter: a.count };
});
console.log(`heap: ${(sum(before) / 1e6).toFixed(1)} MB → ${(sum(after) / 1e6).toFixed(1)} MB`);
console.log("\nlargest growth in bytes:");
for (const r of rows.sort((x, y) => y.bytes - x.bytes).slice(0, 25)) console.log(`  ${(r.bytes / 1e3).toFixed(0).padStart(8)} KB  ${String(r.count).padStart(8)} objects  ${r.key}`);
console.log("\nlargest growth in count:");
for (const r of rows.sort((x, y) => y.count - x.count).slice(0, 15)) console.log(`  ${String(r.count).padStart(8)} objects (${r.countAfter} now)  ${(r.bytes / 1e3).toFixed(0).padStart(8)} KB  ${r.key}`);
