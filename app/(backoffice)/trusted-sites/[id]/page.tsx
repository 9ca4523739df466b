import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { notFound } from "next/navigation";
import { OAuthConnection } from "@/components/trusted-sites/oauth-connection";
import { SiteHealthPanel } from "@/components/trusted-sites/site-health";
import { SigningSecrets } from "@/components/trusted-sites/signing-secrets";
import { SiteActions } from "@/components/trusted-sites/site-actions";
import { TestConnection } from "@/components/trusted-sites/test-connection";
import { CopyButton } from "@/components/ui/copy-button";
import { DateTime } from "@/components/ui/date-time";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";
import { listSiteAuditEvents } from "@/lib/audit/list-site-audit-events";
import { isTokenMethod } from "@/lib/auth-methods/method-names";
import { authMethodModule } from "@/lib/auth-methods/registry";
import { getDb } from "@/lib/db";
import { describeRetrySchedule, formatSeconds, type RetryPolicy } from "@/lib/delivery/policy/retry-policy";
import { NotFoundError } from "@/lib/errors";
import { publicOrigin } from "@/lib/http/public-origin";
import { readConnectionState } from "@/lib/oauth/connection-state";
import { readTokenHealth } from "@/lib/oauth/token-health";
import { secrets } from "@/lib/secrets";
import { getSiteOrThrow } from "@/lib/trusted-sites/get-site";
import { bodyEncodingLabels } from "@/lib/trusted-sites/request-shape";
import { oauthRedirectUrl } from "@/lib/trusted-sites/oauth-redirect-url";
import { readSiteHealth } from "@/lib/trusted-sites/site-health";
import { workflowsUsingSite } from "@/lib/trusted-sites/site-workflows";
import { toSiteView } from "@/lib/trusted-sites/site-view";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Trusted site" };

export default backofficePage(async function SitePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const db = await getDb();
  const site = toSiteView(
    await getSiteOrThrow(db, id).catch((e) => {
      if (e instanceof NotFoundError) notFound();
      throw e;
    }),
  );
  const trail = await listSiteAuditEvents(db, site.id);
  const usedBy = await workflowsUsingSite(db, site.id);
  const health = await readSiteHealth(db, site.id);
  const method = authMethodModule(site.authMethod);

  return (
    <>
      <nav className="mb-2 text-sm text-slate-500">
        <Link href="/trusted-sites" className="hover:underline">Trusted sites</Link> / {site.name}
      </nav>
      <PageHeader
        title={site.name}
        description={<span className="font-mono text-xs">{site.url}</span>}
        actions={<SiteActions site={site} />}
      />
      {site.status === "inactive" && site.statusReason && (
        <div role="status" data-testid="deactivation-banner" className="mb-6 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900">
          <p className="font-semibold">The system set this site inactive</p>
          <p>{site.statusReason}.</p>
          <p className="mt-1">Its messages are paused, none lost. Activate the site to resume them.</p>
        </div>
      )}
      <div className="grid gap-6 lg:grid-cols-2">
        <section className="rounded-lg border border-slate-200 bg-white p-6">
          <h2 className="mb-4 text-base font-semibold">Settings</h2>
          {/* Long labels wrap rather than squeeze the values into a sliver of the card. */}
          <dl className="grid grid-cols-[fit-content(45%)_minmax(0,1fr)] gap-x-6 gap-y-2 text-sm">
            <dt className="text-slate-500">Status</dt>
            <dd><StatusBadge status={site.status} /></dd>
            <dt className="text-slate-500">Request</dt>
            <dd>
              {site.httpMethod} · {bodyEncodingLabels[site.bodyEncoding]}
            </dd>
            <dt className="text-slate-500">Content type</dt>
            <dd>{site.contentType}</dd>
            {site.headers.length > 0 && (
              <>
                <dt className="text-slate-500">Extra headers</dt>
                <dd className="flex flex-col font-mono text-xs">
                  {site.headers.map((h) => (
                    <span key={h.name} className="break-all">
                      {h.name}: {h.secret ? <span className="font-sans text-slate-500">secret (stored encrypted)</span> : h.value}
                    </span>
                  ))}
                </dd>
              </>
            )}
            {site.clientCertificate && (
              <>
                <dt className="text-slate-500">Client certificate</dt>
                <dd className="flex flex-col text-xs">
                  <span className="break-words">
                    {site.clientCertificate.subject}, issued by {site.clientCertificate.issuer}
                  </span>
                  <span>
                    Valid until <DateTime value={site.clientCertificate.validTo} />
                    {new Date(site.clientCertificate.validTo).getTime() - Date.now() < 30 * 86_400_000 && (
                      <span className="ml-1 font-medium text-amber-700">(renew soon)</span>
                    )}
                  </span>
                  <span className="break-all font-mono text-slate-500">SHA-256 {site.clientCertificate.fingerprint256}</span>
                </dd>
              </>
            )}
            <dt className="text-slate-500">Authentication method</dt>
            <dd>{method.label}</dd>
            {method.fields.map((field) => (
              <Setting key={field.name} label={field.label}>
                {method.secretFields.includes(field.name)
                  ? site.secretsSet[field.name] ? "Set" : "Not set"
                  : formatValue(site.authParams[field.name])}
              </Setting>
            ))}
            <dt className="text-slate-500">Maximum requests per second</dt>
            <dd className="tabular-nums">{site.rps}</dd>
            <dt className="text-slate-500">Asynchronous threads</dt>
            <dd className="tabular-nums">{site.threads}</dd>
            <dt className="text-slate-500">Timeout</dt>
            <dd className="tabular-nums">{site.timeoutMs} ms</dd>
            <dt className="text-slate-500">Message order</dt>
            <dd>{site.orderedPerCustomer ? "In order per customer" : "Any order"}</dd>
          </dl>
        </section>
        <div className="flex flex-col gap-6">
          <DeliveryPolicy policy={site.retryPolicy} failingSince={site.failingSince} />
          {isTokenMethod(site.authMethod) && (
            <OAuthConnection
              siteId={site.id}
              method={site.authMethod}
              state={await readConnectionState(db, secrets(), site.id)}
              health={await readTokenHealth(db, site.id)}
            />
          )}
          {site.authMethod === "oauth2" && <RedirectUrl url={oauthRedirectUrl(publicOrigin(await headers()), site.id)} />}
          <SigningSecrets siteId={site.id} secrets={site.signingSecrets} />
        </div>
      </div>
      <SiteHealthPanel health={health} />
      <TestConnection siteId={site.id} />

      <h2 className="mb-3 mt-8 text-base font-semibold">Workflows using this site</h2>
      {usedBy.length === 0 ? (
        <p className="text-sm text-slate-500">No workflow sends to this site.</p>
      ) : (
        <Table>
          <thead>
            <tr>
              <Th>Workflow</Th>
              <Th>Status</Th>
            </tr>
          </thead>
          <tbody>
            {usedBy.map((workflow) => (
              <tr key={workflow.id}>
                <Td>
                  <Link href={`/workflows/${workflow.id}`} className="text-sky-700 hover:underline">{workflow.name}</Link>
                </Td>
                <Td><StatusBadge status={workflow.status} /></Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}

      <h2 className="mb-3 mt-8 text-base font-semibold">Audit trail</h2>
      <Table>
        <thead>
          <tr>
            <Th>When</Th>
            <Th>Who</Th>
            <Th>What</Th>
          </tr>
        </thead>
        <tbody>
          {trail.map((event) => (
            <tr key={event.id}>
              <Td><DateTime value={event.createdAt} /></Td>
              <Td>{event.actor}</Td>
              <Td>{describeEvent(event.action, event.details)}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </>
  );
});

function Setting({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <>
      <dt className="text-slate-500">{label}</dt>
      {/* Values break between words; only one too long for the column (a URL) breaks inside. */}
      <dd className="wrap-break-word">{children}</dd>
    </>
  );
}

function DeliveryPolicy({ policy, failingSince }: { policy: RetryPolicy; failingSince: Date | null }) {
  return (
    <section data-testid="delivery-policy" className="rounded-lg border border-slate-200 bg-white p-6">
      <h2 className="mb-4 text-base font-semibold">Delivery policy</h2>
      <dl className="grid grid-cols-[fit-content(45%)_minmax(0,1fr)] gap-x-6 gap-y-2 text-sm">
        <Setting label="Retries">{describeRetrySchedule(policy)}</Setting>
        <Setting label="Retry-After">On 429 and 503, honoured when longer, up to {formatSeconds(policy.maxDelaySeconds)}</Setting>
        <Setting label="410 Gone">Fails the message and sets the site inactive</Setting>
        <Setting label="Fail fast on 4xx">{policy.failFastOn4xx ? "On (except 408, 409, 425, 429)" : "Off"}</Setting>
        <Setting label="Automatic deactivation">
          {policy.deactivateAfterSeconds === null ? "Off" : `After ${formatSeconds(policy.deactivateAfterSeconds)} of failures`}
        </Setting>
        {failingSince && (
          <Setting label="Failing since">
            <DateTime value={failingSince} />
          </Setting>
        )}
      </dl>
    </section>
  );
}

function RedirectUrl({ url }: { url: string }) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6">
      <h2 className="mb-1 text-base font-semibold">Redirect URL</h2>
      <p className="mb-3 text-sm text-slate-600">Register this URL with the OAuth provider as the redirect (callback) URL.</p>
      <div className="flex items-center gap-2">
        <code data-testid="redirect-url" className="flex-1 overflow-x-auto rounded bg-slate-50 px-3 py-2 font-mono text-xs">{url}</code>
        <CopyButton value={url} />
      </div>
    </section>
  );
}

function formatValue(value: unknown): string {
  if (value === undefined || value === null || value === "") return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

const ACTIONS: Record<string, string> = {
  "site.created": "Created the site",
  "site.updated": "Changed",
  "site.activated": "Set the site active",
  "site.deactivated": "Set the site inactive",
  "site.deleted": "Deleted the site",
  "site.connected": "Connected the site to its OAuth provider",
  "site.token_refreshed": "Refreshed the access token",
  "site.signing_enabled": "Turned on signed payloads",
  "site.signing_rotated": "Rotated the signing secret",
  "site.signing_disabled": "Turned off signed payloads",
  "site.tested": "Tested the connection",
  "messages.resent": "Resent messages",
  "message.cancelled": "Cancelled a paused message",
  "message.retried-now": "Retried a waiting message now",
};

function describeEvent(action: string, details: Record<string, unknown>): string {
  const base = ACTIONS[action] ?? action;
  if (action === "site.updated" && Array.isArray(details.changed)) return `${base} ${details.changed.join(", ")}`;
  if (action === "messages.resent" && typeof details.count === "number") return `${base} (${details.count})`;
  if (action === "site.tested") return typeof details.status === "number" ? `${base} (answered ${details.status})` : `${base} (${details.failed} failed)`;
  if (action === "site.deactivated" && typeof details.reason === "string") return `${base}: ${details.reason}`;
  if (action === "site.signing_rotated" && typeof details.overlapHours === "number") {
    return `${base} (the previous one signs for ${details.overlapHours} more hours)`;
  }
  return base;
}
