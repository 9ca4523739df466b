"use client";

import { Link2, RefreshCw } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { DateTime } from "@/components/ui/date-time";
import type { ConnectionState } from "@/lib/oauth/connection-state";

/**
 * An `oauth2` site's connection to its provider: whether it holds a valid access token, Connect
 * while it does not, and Refresh access token when it has expired but a refresh token is left.
 */
export function OAuthConnection({ siteId, state }: { siteId: string; state: ConnectionState }) {
  const router = useRouter();
  const [refreshing, setRefreshing] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const canRefresh = state.status === "expired" && state.canRefresh;

  async function refresh() {
    setProblem(null);
    setRefreshing(true);
    try {
      const response = await fetch(`/api/trusted-sites/${siteId}/oauth/refresh`, { method: "POST" });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        setProblem(body.error ?? `The access token was not refreshed (${response.status}). Try again.`);
        return;
      }
      router.refresh();
    } catch {
      setProblem("The app could not be reached. Try again.");
    } finally {
      setRefreshing(false);
    }
  }

  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6" aria-labelledby="oauth-connection-heading">
      <h2 id="oauth-connection-heading" className="mb-1 text-base font-semibold">OAuth connection</h2>
      <p data-testid="oauth-connection-status" className="mb-4 text-sm text-slate-700">
        <StatusText state={state} />
      </p>
      {state.status !== "connected" && (
        <div className="flex flex-wrap gap-2">
          {canRefresh && (
            <Button onClick={refresh} disabled={refreshing}>
              <RefreshCw className="size-4" aria-hidden /> {refreshing ? "Refreshing…" : "Refresh access token"}
            </Button>
          )}
          <Button asChild variant={canRefresh ? "secondary" : "primary"}>
            {/* A full navigation, not a client route: the API answers with a redirect to the provider. */}
            <a href={`/api/trusted-sites/${siteId}/oauth/connect`}>
              <Link2 className="size-4" aria-hidden /> Connect
            </a>
          </Button>
        </div>
      )}
      {problem && (
        <p role="alert" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {problem}
        </p>
      )}
    </section>
  );
}

function StatusText({ state }: { state: ConnectionState }) {
  switch (state.status) {
    case "never-connected":
      return <>Never connected. Press Connect to approve access at the OAuth provider.</>;
    case "connected":
      return (
        <>
          <span className="font-medium text-emerald-700">Connected</span> until <DateTime value={state.expiresAt} />
          {state.canRefresh ? "; renewed automatically with the refresh token." : "."}
        </>
      );
    case "expired":
      return (
        <>
          <span className="font-medium text-amber-700">Expired</span>
          {state.expiresAt ? (
            <>
              {" "}at <DateTime value={state.expiresAt} />
            </>
          ) : (
            " (a receiver refused the access token)"
          )}
          {state.canRefresh ? ". Refresh the access token, or connect again." : ". There is no refresh token: press Connect."}
        </>
      );
  }
}
