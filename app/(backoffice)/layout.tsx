import { Webhook } from "lucide-react";
import { cookies } from "next/headers";
import Link from "next/link";
import { unstable_rethrow } from "next/navigation";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { DatabaseUnavailable } from "@/components/backoffice/database-unavailable";
import { MobileNav } from "@/components/backoffice/mobile-nav";
import { SidebarNav } from "@/components/ui/sidebar-nav";
import { TimeZoneProvider, TimeZoneToggle } from "@/components/ui/time-zone";
import { requireUser, type BackofficeUser } from "@/lib/backoffice-auth/current-user";
import { isDatabaseOutage } from "@/lib/delivery/database-outage";
import { BROWSER_ZONE_COOKIE, TIME_DISPLAY_COOKIE, timeZoneChoice } from "@/lib/time-zone/time-display";

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
  const brand = (
    <Link href="/trusted-sites" className="flex items-center gap-2 px-3 text-white">
      <Webhook className="size-5 text-indigo-400" aria-hidden />
      <span className="text-sm font-semibold leading-tight">Trusted sites &amp; Webhooks</span>
    </Link>
  );
  const navigation = (
    <>
      <SidebarNav />
      <div className="mt-auto border-t border-slate-800 pt-4">
        <TimeZoneToggle />
        <p className="truncate px-3 pb-2 text-xs text-slate-400" title={user.email}>
          Signed in as <span className="text-slate-200">{user.email}</span>
        </p>
        <SignOutButton />
      </div>
    </>
  );
  // Times are written in the zone the operator chose; the server needs it to render the same text as the browser.
  const cookieStore = await cookies();
  const timeZone = timeZoneChoice(cookieStore.get(TIME_DISPLAY_COOKIE)?.value, cookieStore.get(BROWSER_ZONE_COOKIE)?.value);
  // Below `md` the sidebar would squeeze the page: it becomes a drawer behind a Menu button.
  return (
    <TimeZoneProvider initial={timeZone}>
      <div className="flex min-h-screen flex-col md:flex-row">
        <header className="flex items-center justify-between gap-2 bg-slate-900 py-2 pr-2 md:hidden">
          {brand}
          <MobileNav>{navigation}</MobileNav>
        </header>
        <aside className="hidden w-60 shrink-0 flex-col gap-6 bg-slate-900 px-3 py-5 md:flex">
          {brand}
          {navigation}
        </aside>
        <main className="min-w-0 flex-1 px-4 py-6 md:px-8 md:py-8">{children}</main>
      </div>
    </TimeZoneProvider>
  );
}
