export default function LogsLoading() {
  return (
    <div aria-busy="true" aria-label="Loading" className="animate-pulse">
      <div className="mb-6 h-8 w-56 rounded bg-slate-200" />
      <div className="mb-4 h-28 rounded-lg bg-slate-200/70" />
      <div className="mb-4 h-52 rounded-lg bg-slate-200/70" />
      <div className="space-y-2">
        {Array.from({ length: 8 }, (_, i) => (
          <div key={i} className="h-10 rounded bg-slate-200/70" />
        ))}
      </div>
    </div>
  );
}
