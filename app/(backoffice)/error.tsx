"use client";

export default function BackofficeError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert" className="rounded-lg border border-red-200 bg-red-50 p-6">
      <h1 className="text-lg font-semibold text-red-800">This page could not be loaded</h1>
      <p className="mt-1 text-sm text-red-700">
        The server could not answer (is the database reachable?). Try again; if it keeps failing, check the server log
        {error.digest ? ` for error ${error.digest}` : ""}.
      </p>
      <button
        type="button"
        onClick={reset}
        className="mt-4 rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800"
      >
        Try again
      </button>
    </div>
  );
}
