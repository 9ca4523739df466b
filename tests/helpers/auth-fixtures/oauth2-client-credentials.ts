const clientSecret = "client-credentials-secret-8d2e7b";

export const fixture = {
  valid: {
    tokenUrl: "https://auth.example.com/oauth2/token",
    contentType: "application/x-www-form-urlencoded",
    tokenExpiration: 60,
    clientId: "loyalty-app",
    clientSecret,
    scope: "webhooks:write",
  },
  invalid: [
    { field: "tokenUrl", value: "ftp://x" },
    { field: "contentType", value: "text/plain" },
    { field: "tokenExpiration", value: 0 },
    { field: "tokenExpiration", value: 1441 },
    { field: "tokenExpiration", value: 2.5 },
    { field: "tokenExpiration", value: "soon" },
    { field: "clientId", value: "" },
    { field: "clientSecret", value: "" },
  ],
  secretValues: [clientSecret],
};
