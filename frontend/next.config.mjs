/** @type {import('next').NextConfig} */
const nextConfig = {
  output: "export",
  // /chat/ -> chat/index.html: served by any static file server (the gateway's included).
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
  // A dev server proxies the API to a running gateway (the static export has no server).
  ...(process.env.NODE_ENV === "development"
    ? {
        async rewrites() {
          const target = process.env.VT_GATEWAY_URL ?? "http://127.0.0.1:8000";
          return [{ source: "/api/:path*", destination: `${target}/api/:path*` }];
        },
      }
    : {}),
};
export default nextConfig;
