import Link from "next/link";

export default function NotFound() {
  return (
    <main className="mx-auto max-w-md p-12 text-center">
      <h1 className="text-xl font-semibold">Page not found</h1>
      <p className="mt-2 text-sm text-slate-600">The page you asked for does not exist or was removed.</p>
      <Link href="/trusted-sites" className="mt-4 inline-block text-sm font-medium text-indigo-600 hover:underline">
        Go to Trusted sites
      </Link>
    </main>
  );
}
