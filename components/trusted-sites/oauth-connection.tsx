"use client";

import { AlertTriangle, Link2, RefreshCw } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { DateTime } from "@/components/ui/date-time";
import { useTimeZone } from "@/components/ui/time-zone";
import { TimeFromNow } from "@/components/webhooks/relative-time";
import type { TokenMethod } from "@/lib/auth-methods/method-names";
import type { ConnectionState } from "@/lib/oauth/connection-state";
import type { TokenHealth } from "@/lib/oauth/token-health";
import { REFUSAL_LABELS } from "@/lib/oauth/token-refusal";
import { formatDateTime } from "@/lib/time-zone/zoned-time";

/**
 * An OAuth site's token health: whether it holds a valid access token and until when, when one was
 * last obtained, the last failure, and a banner when the provider refused the grant. Refresh now
 * gets a new token at once (the refresh-token exchange for `oauth2`, a new token request for the
 * others); `oauth2` sites also Connect (or Re-connect) through the provider's consent page.
 */
export function OAuthConnection({
  siteId,
  method,
  state,
  health,
}: {
  siteId: string;
  method: TokenMethod;
  state: ConnectionState;
  health: TokenHealth;
}) {
  const router = useRouter();
  const { zone } = useTimeZone();
  const [refreshing, startRefresh] = useTransition();
  const [problem, setProblem] = useState<string | null>(null);
  const authorizationCode = method === "oauth2";
  const canRefresh = !authorizationCode || (state.status !== "never-connected" && state.canRefresh);

  function refresh() {
    setProblem(null);
    // Pending until the page has re-rendered with the new token (or the failure recorded).
    startRefresh(async () => {
      try {
        const response = await fetch(`/api/trusted-sites/${siteId}/oauth/refresh`, { method: "POST" });
        const body = await response.json().catch(() => ({}));
        if (!response.ok) {
          const message = body.error ?? `The access token was not refreshed (${response.status}). Try again.`;
          toast.error("The access token was not refreshed", { description: message });
          // A token endpoint's answer (502) is recorded and shown as the last error; anything else is said here.
          if (response.status !== 502) setProblem(message);
        } else {
          toast.success(`New access token, valid until ${formatDateTime(body.expiresAt, zone)}`);
        }
      } catch {
        setProblem("The app could not be reached. Try again.");
        return;
      }
      router.refresh();
    });
  }

  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6" aria-labelledby="oauth-connection-heading" data-testid="token-health">
      <h2 id="oauth-connection-heading" className="mb-1 text-base font-semibold">
        {authorizationCode ? "OAuth connection" : "Access token"}
      </h2>
      {health.refusal && <RefusalBanner health={health} refusal={health.refusal} authorizationCode={authorizationCode} />}
      <p data-testid="oauth-connection-status" className="mb-4 text-sm text-slate-700">
        {authorizationCode ? <StatusText state={state} /> : <TokenStatusText state={state} />}
      </p>
      <dl className="mb-4 grid grid-cols-[fit-content(40%)_minmax(0,1fr)] gap-x-6 gap-y-2 text-sm">
        <dt className="text-slate-500">Token</dt>
        <dd data-testid="token-valid-until">
          {state.status === "connected" ? (
            <>
              valid until <DateTime value={state.expiresAt} /> <Ago value={state.expiresAt} />
            </>
          ) : state.status === "expired" && state.expiresAt ? (
            <>
              expired at <DateTime value={state.expiresAt} /> <Ago value={state.expiresAt} />
            </>
          ) : state.status === "expired" ? (
            "dropped after a receiver refused it"
          ) : (
            "none yet"
          )}
        </dd>
        <dt className="text-slate-500">Last refresh</dt>
        <dd data-testid="token-last-refresh">
          {health.lastObtainedAt ? (
            <>
              <DateTime value={health.lastObtainedAt} /> <Ago value={health.lastObtainedAt} />
            </>
          ) : (
            "—"
          )}
        </dd>
        <dt className="text-slate-500">Last error</dt>
        <dd data-testid="token-last-error" className="wrap-break-word">
          {health.lastError ? (
            <>
              <DateTime value={health.lastError.at} /> <Ago value={health.lastError.at} />
              <span className="block text-slate-700">{health.lastError.message}</span>
            </>
          ) : (
            "—"
          )}
        </dd>
      </dl>
      <div className="flex flex-wrap gap-2">
        {canRefresh && (
          <Button onClick={refresh} disabled={refreshing} variant={health.refusal && authorizationCode ? "secondary" : "primary"}>
            <RefreshCw className={refreshing ? "size-4 animate-spin" : "size-4"} aria-hidden /> {refreshing ? "Refreshing…" : "Refresh now"}
          </Button>
        )}
        {authorizationCode && (
          <Button asChild variant={canRefresh && !health.refusal ? "secondary" : "primary"}>
            {/* A full navigation, not a client route: the API answers with a redirect to the provider. */}
            <a href={`/api/trusted-sites/${siteId}/oauth/connect`}>
              <Link2 className="size-4" aria-hidden /> {state.status === "never-connected" ? "Connect" : "Re-connect"}
            </a>
          </Button>
        )}
      </div>
      {problem && (
        <p role="alert" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {problem}
        </p>
      )}
    </section>
  );
}

function Ago({ value }: { value: string }) {
  return (
    <span className="text-slate-500">
      (<TimeFromNow value={value} />)
    </span>
  );
}

function RefusalBanner({
  health,
  refusal,
  authorizationCode,
}: {
  health: TokenHealth;
  refusal: NonNullable<TokenHealth["refusal"]>;
  authorizationCode: boolean;
}) {
  const waiting = health.waitingMessages;
  return (
    <div role="alert" data-testid="token-refusal" className="mb-4 flex gap-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
      <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden />
      <div>
        <p className="font-semibold">{REFUSAL_LABELS[refusal.kind]}</p>
        <p>
          Since <DateTime value={refusal.at} /> the provider refuses{" "}
          {refusal.kind === "needs_reauthorization" ? "the refresh token" : "the site's credentials"}
          {health.lastError?.code ? ` (${health.lastError.code})` : ""}.{" "}
          {refusal.kind === "needs_reauthorization" && authorizationCode
            ? "Press Re-connect to approve access at the provider again."
            : "Correct the credentials in the site's settings, then press Refresh now."}
        </p>
        <p data-testid="token-refusal-waiting">
          {waiting > 0
            ? `${waiting} message${waiting === 1 ? " is" : "s are"} waiting: ${waiting === 1 ? "its" : "their"} attempts fail until the site is ${authorizationCode ? "re-connected" : "fixed"}.`
            : `Every delivery attempt fails until the site is ${authorizationCode ? "re-connected" : "fixed"}.`}
        </p>
      </div>
    </div>
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

function TokenStatusText({ state }: { state: ConnectionState }) {
  switch (state.status) {
    case "never-connected":
      return <>No token yet: the first delivery fetches one, or press Refresh now.</>;
    case "connected":
      return (
        <>
          <span className="font-medium text-emerald-700">Valid</span> until <DateTime value={state.expiresAt} />; a new one is fetched when it expires.
        </>
      );
    case "expired":
      return (
        <>
          <span className="font-medium text-amber-700">Expired</span>: the next delivery fetches a new one, or press Refresh now.
        </>
      );
  }
}
