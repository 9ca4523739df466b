"use client";

import { GitBranch, KeyRound, ListChecks, ScrollText, ShieldCheck, Users } from "lucide-react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { cn } from "./cn";

const sections = [
  { items: [{ href: "/trusted-sites", label: "Trusted sites", icon: ShieldCheck }] },
  {
    title: "Webhooks",
    items: [
      { href: "/webhooks/logs", label: "Logs", icon: ScrollText, also: "/webhooks/messages/" },
      { href: "/webhooks/queue", label: "Queue", icon: ListChecks },
    ],
  },
  { items: [{ href: "/workflows", label: "Workflows", icon: GitBranch }] },
  { items: [{ href: "/customers", label: "Customers", icon: Users }] },
  { title: "Settings", items: [{ href: "/settings/api-tokens", label: "API tokens", icon: KeyRound }] },
];

export function SidebarNav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="flex flex-col gap-4">
      {sections.map((section, i) => (
        <div key={i}>
          {section.title && (
            <p className="px-3 pb-1 text-xs font-semibold uppercase tracking-wide text-slate-400">{section.title}</p>
          )}
          <ul className="flex flex-col gap-0.5">
            {section.items.map(({ href, label, icon: Icon, ...item }) => {
              const also = "also" in item ? item.also : undefined;
              const active = pathname === href || pathname.startsWith(href + "/") || (also !== undefined && pathname.startsWith(also));
              return (
                <li key={href}>
                  <Link
                    href={href}
                    aria-current={active ? "page" : undefined}
                    className={cn(
                      "flex items-center gap-2 rounded-md px-3 py-2 text-sm font-medium text-slate-300 hover:bg-slate-800 hover:text-white",
                      active && "bg-slate-800 text-white",
                    )}
                  >
                    <Icon className="size-4" aria-hidden />
                    {label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </div>
      ))}
    </nav>
  );
}
