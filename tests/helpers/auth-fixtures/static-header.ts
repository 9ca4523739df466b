import type { StaticHeaderParams } from "@/lib/auth-methods/static-header";

const valid: StaticHeaderParams = { headerName: "X-Api-Key", headerValue: "sk_live_51Hx9 key with spaces" };

export const fixture = {
  valid,
  invalid: [
    { field: "headerName", value: "" },
    { field: "headerName", value: "X Api Key" },
    { field: "headerName", value: "Content-Type" },
    { field: "headerName", value: "webhook-signature" },
    { field: "headerValue", value: "" },
    { field: "headerValue", value: "line\r\nX-Injected: 1" },
    { field: "headerValue", value: undefined },
  ],
  secretValues: [valid.headerValue],
  sentAsIs: { header: "x-api-key", value: valid.headerValue },
};
