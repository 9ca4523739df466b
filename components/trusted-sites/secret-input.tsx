"use client";

import { Eye, EyeOff } from "lucide-react";
import { useState } from "react";
import { cn } from "@/components/ui/cn";

/**
 * A secret field with an eye button. It only ever reveals what the user typed in this form:
 * stored secrets never reach the browser.
 */
export function SecretInput({
  multiline,
  invalid,
  className,
  ...props
}: { multiline?: boolean; invalid?: boolean } & React.ComponentProps<"input"> & React.ComponentProps<"textarea">) {
  const [revealed, setRevealed] = useState(false);
  const base = cn(
    "w-full rounded-md border border-slate-300 bg-white px-3 py-2 pr-10 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30",
    invalid && "border-red-500",
    className,
  );
  return (
    <div className="relative">
      {multiline ? (
        <textarea
          rows={revealed ? 6 : 3}
          spellCheck={false}
          autoComplete="off"
          className={cn(base, "font-mono text-xs", !revealed && "[-webkit-text-security:disc]")}
          {...(props as React.ComponentProps<"textarea">)}
        />
      ) : (
        <input type={revealed ? "text" : "password"} autoComplete="new-password" className={base} {...(props as React.ComponentProps<"input">)} />
      )}
      <button
        type="button"
        onClick={() => setRevealed((r) => !r)}
        aria-label={revealed ? "Hide what you typed" : "Show what you typed"}
        aria-pressed={revealed}
        className="absolute right-2 top-2 rounded p-1 text-slate-500 hover:bg-slate-100 hover:text-slate-800"
      >
        {revealed ? <EyeOff className="size-4" aria-hidden /> : <Eye className="size-4" aria-hidden />}
      </button>
    </div>
  );
}
