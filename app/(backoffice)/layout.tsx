import { Webhook } from "lucide-react";
import Link from "next/link";
import { SidebarNav } from "@/components/ui/sidebar-nav";

export default function BackofficeLayout({ children }: { children: React.ReactNode }) {
  return (
    <div className="flex min-h-screen">
      <aside className="flex w-60 shrink-0 flex-col gap-6 bg-slate-900 px-3 py-5">
        <Link href="/trusted-sites" className="flex items-center gap-2 px-3 text-white">
          <Webhook className="size-5 text-indigo-400" aria-hidden />
          <span className="text-sm font-semibold leading-tight">Trusted sites &amp; Webhooks</span>
        </Link>
        <SidebarNav />
      </aside>
      <main className="min-w-0 flex-1 px-8 py-8">{children}</main>
    </div>
  );
}
