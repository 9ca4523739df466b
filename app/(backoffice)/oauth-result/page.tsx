import { CircleAlert } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { Button } from "@/components/ui/button";
import { cleanOAuthError, describeCallbackProblem, isCallbackProblemCode } from "@/lib/oauth/callback-problems";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "OAuth connection" };

type SearchParams = Record<string, string | string[] | undefined>;

/** Where the OAuth callback sends the browser when the site was not connected: what happened, in plain words. */
export default backofficePage(async function OAuthResultPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const query = await searchParams;
  const code = first(query.problem);
  const oauthError = cleanOAuthError(first(query.error));
  const siteId = z.uuid().safeParse(first(query.site)).success ? first(query.site) : undefined;
  const problem = isCallbackProblemCode(code) ? { code, oauthError } : undefined;
  const { title, text } = problem
    ? describeCallbackProblem(problem)
    : { title: "The site was not connected", text: "The OAuth connection did not complete. Press Connect on the site page to try again." };
  const backLink = siteId && code !== "site_unavailable" ? { href: `/trusted-sites/${siteId}`, label: "Back to the site" } : { href: "/trusted-sites", label: "Go to Trusted sites" };

  return (
    <section className="max-w-2xl rounded-lg border border-red-200 bg-white p-6" data-testid="oauth-result">
      <h1 className="flex items-center gap-2 text-xl font-semibold">
        <CircleAlert className="size-5 text-red-600" aria-hidden /> {title}
      </h1>
      <p className="mt-3 text-sm text-slate-700">{text}</p>
      {oauthError && (
        <p className="mt-2 text-sm text-slate-500">
          {code === "token_refused" ? "The token URL answered with the error code " : "The provider's error code: "}
          <code className="font-mono">{oauthError}</code>
        </p>
      )}
      <p className="mt-2 text-sm text-slate-500">Nothing was stored.</p>
      <Button asChild className="mt-5">
        <Link href={backLink.href}>{backLink.label}</Link>
      </Button>
    </section>
  );
});

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
