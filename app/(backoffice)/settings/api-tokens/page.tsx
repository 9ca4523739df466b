import type { Metadata } from "next";
import { ApiTokensManager } from "@/components/api-tokens/api-tokens-manager";
import { PageHeader } from "@/components/ui/page-header";
import { listApiTokens } from "@/lib/api-tokens/manage-api-tokens";
import { getDb } from "@/lib/db";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "API tokens" };

export default backofficePage(async function ApiTokensPage() {
  const tokens = await listApiTokens(await getDb());
  return (
    <>
      <PageHeader
        title="API tokens"
        description="Credentials for machine clients — workflow triggers and scripts — sent as Authorization: Bearer <token>. Only a hash is stored."
      />
      <ApiTokensManager tokens={tokens} />
    </>
  );
});
