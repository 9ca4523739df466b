/** A timestamp rendered the same on server and client (UTC, ISO-like), with the exact value on hover. */
export function DateTime({ value }: { value: Date | string | null }) {
  if (!value) return <span className="text-slate-400">—</span>;
  const date = new Date(value);
  const iso = date.toISOString();
  return (
    <time dateTime={iso} title={iso} className="whitespace-nowrap tabular-nums">
      {iso.slice(0, 19).replace("T", " ")} UTC
    </time>
  );
}
