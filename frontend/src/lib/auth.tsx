"use client";
import * as React from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { usePathname, useRouter } from "next/navigation";
import { ApiError } from "@/lib/api/client";
import { auth } from "@/lib/api/endpoints";
import type { User } from "@/lib/api/types";

export function useMe() {
  return useQuery<User, Error>({ queryKey: ["me"], queryFn: auth.me, retry: false, staleTime: 60_000 });
}

/** Renders children only for a signed-in user; sends others to the sign-in page and back. */
export function RequireAuth({ children }: { children: React.ReactNode }) {
  const me = useMe();
  const router = useRouter();
  const pathname = usePathname();
  const qc = useQueryClient();
  const unauthorized = me.error instanceof ApiError && me.error.status === 401;

  React.useEffect(() => {
    const onUnauthorized = () => void qc.invalidateQueries({ queryKey: ["me"] });
    window.addEventListener("vt:unauthorized", onUnauthorized);
    return () => window.removeEventListener("vt:unauthorized", onUnauthorized);
  }, [qc]);

  React.useEffect(() => {
    if (unauthorized) {
      const next = `${pathname}${window.location.search}`;
      router.replace(`/login/?next=${encodeURIComponent(next)}`);
    }
  }, [unauthorized, pathname, router]);

  if (me.isPending || unauthorized) {
    return (
      <div role="status" className="p-8 text-sm text-muted-foreground">
        Checking your session…
      </div>
    );
  }
  if (me.isError) {
    return (
      <div role="alert" className="m-6 rounded-lg border border-destructive/40 bg-destructive/10 p-4 text-sm">
        <p className="font-medium">Could not load your account.</p>
        <p className="mt-1">{me.error.message}</p>
      </div>
    );
  }
  return <>{children}</>;
}
