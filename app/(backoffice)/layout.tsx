import { Webhook } from "lucide-react";
import Link from "next/link";
import { unstable_rethrow } from "next/navigation";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { DatabaseUnavailable } from "@/components/backoffice/database-unavailable";
import { SidebarNav } from "@/components/ui/sidebar-nav";
import { requireUser, type BackofficeUser } from "@/lib/backoffice-auth/current-user";
import { isDatabaseOutage } from "@/lib/delivery/database-outage";

/** The navigation shell. Not a guard: every page checks the session itself (backofficePage). */
export default async function BackofficeLayout({ children }: { children: React.ReactNode }) {
  let user: BackofficeUser;
  try {
    user = await requireUser();
  } catch (error) {
    unstable_rethrow(error);
    if (!isDatabaseOutage(error)) throw error;
    return (
      <main className="mx-auto max-w-2xl px-8 py-12">
        <DatabaseUnavailable />
      </main>
    );
  }
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
