import { Webhook } from "lucide-react";
import Link from "next/link";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { SidebarNav } from "@/components/ui/sidebar-nav";
import { requireUser } from "@/lib/backoffice-auth/current-user";

export default async function BackofficeLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser();
  return (
    <div className="flex min-h-screen">
      <aside className="flex w-60 shrink-0 flex-col gap-6 bg-slate-900 px-3 py-5">
        <Link href="/trusted-sites" className="flex items-center gap-2 px-3 text-white">
          <Webhook className="size-5 text-indigo-400" aria-hidden />
          <span className="text-sm font-semibold leading-tight">Trusted sites &amp; Webhooks</span>
        </Link>
        <SidebarNav />
        <div className="mt-auto border-t border-slate-800 pt-4">
          <p className="truncate px-3 pb-2 text-xs text-slate-400" title={user.email}>
            Signed in as <span className="text-slate-200">{user.email}</span>
          </p>
          <SignOutButton />
        </div>
      </aside>
      <main className="min-w-0 flex-1 px-8 py-8">{children}</main>
    </div>
  );
}
