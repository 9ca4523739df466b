import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { listCustomers } from "@/lib/customers/list-customers";
import { apiRoute } from "@/lib/http/api-route";

/** Customers by name: `?q&cursor&limit` → `{items, nextCursor}`; `q` is a prefix of the name, e-mail or external id. */
export const GET = apiRoute(async ({ request }) =>
  NextResponse.json(await listCustomers(await getDb(), Object.fromEntries(new URL(request.url).searchParams))),
);
