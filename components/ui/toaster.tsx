"use client";

import { Toaster as Sonner } from "sonner";

/** Where toasts appear (sonner): once in the root layout, so they survive client navigations. */
export function Toaster() {
  return <Sonner position="bottom-right" richColors closeButton duration={5000} />;
}
