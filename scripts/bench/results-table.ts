import os from "node:os";

type Row = { measure: string; result: string; target: string; load: string };

/** A bench's results: each row stamped with the 1-minute load average when measured, printed as one Markdown table. */
export function resultsTable() {
  const rows: Row[] = [];
  return {
    row(measure: string, result: string, target = "") {
      rows.push({ measure, result, target, load: os.loadavg()[0]!.toFixed(2) });
      console.error(`  ${measure}: ${result}`);
    },
    print(title: string) {
      const headers = ["measure", "result", "target", "load"] as const;
      const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => r[h].length)));
      const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
      console.log(`\n${title}`);
      console.log(line([...headers]));
      console.log(line(widths.map((w) => "-".repeat(w))));
      for (const r of rows) console.log(line(headers.map((h) => r[h])));
    },
  };
}
