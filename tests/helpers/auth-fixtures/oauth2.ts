const consumerSecret = "oauth2-consumer-secret-3f9a1c";

export const fixture = {
  valid: {
    consumerKey: "loyalty-app",
    consumerSecret,
    authorizationUrl: "https://auth.example.com/oauth2/authorize",
    tokenUrl: "https://auth.example.com/oauth2/token",
    scope: "orders:write offline_access",
    responseType: "code",
  },
  invalid: [
    { field: "consumerKey", value: "" },
    { field: "consumerSecret", value: "   " },
    { field: "authorizationUrl", value: "ftp://auth.example.com/authorize" },
    { field: "tokenUrl", value: "not a url" },
    { field: "tokenUrl", value: "javascript:alert(1)" },
  ],
  secretValues: [consumerSecret],
};
