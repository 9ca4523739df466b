import { NextResponse } from "next/server";
import { z } from "zod";
import { getDb } from "@/lib/db";
import { apiRoute } from "@/lib/http/api-route";
import { readJsonBody } from "@/lib/http/read-json-body";
import { secrets } from "@/lib/secrets";
import { deleteSite } from "@/lib/trusted-sites/delete-site";
import { getSiteOrThrow } from "@/lib/trusted-sites/get-site";
import { toSiteView } from "@/lib/trusted-sites/site-view";
import { updateSite } from "@/lib/trusted-sites/update-site";

type Params = { id: string };

export const GET = apiRoute<Params>(async ({ params }) =>
  NextResponse.json(toSiteView(await getSiteOrThrow(await getDb(), params.id))),
);

export const PATCH = apiRoute<Params>(async ({ request, actor, params }) => {
  const input = await readJsonBody(request, z.unknown());
  return NextResponse.json(await updateSite(await getDb(), secrets(), actor, params.id, input));
});

export const DELETE = apiRoute<Params>(async ({ actor, params }) => {
  await deleteSite(await getDb(), actor, params.id);
  return new NextResponse(null, { status: 204 });
});
