import { useId } from "react";
import { cn } from "./cn";

/** A labelled input with its help text and error, wired for screen readers. */
export function TextField({
  label,
  help,
  error,
  className,
  ...props
}: React.ComponentProps<"input"> & { label: string; help?: string; error?: string }) {
  const id = useId();
  const described = [help && `${id}-help`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  return (
    <div className={cn("flex flex-col gap-1", className)}>
      <label htmlFor={id} className="text-sm font-medium text-slate-700">
        {label}
      </label>
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={described}
        className={cn(
          "rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30",
          error && "border-red-500 focus:border-red-500 focus:ring-red-500/30",
        )}
        {...props}
      />
      {help && (
        <p id={`${id}-help`} className="text-xs text-slate-500">
          {help}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="text-xs font-medium text-red-600">
          {error}
        </p>
      )}
    </div>
  );
}
