"use client";
import * as React from "react";
import { useQuery } from "@tanstack/react-query";
import { schemas } from "@/lib/api/endpoints";
import type { LoadedValidator } from "@/lib/spec-validator-loader";

/** Fetches the served StrategySpec schema and lazily loads its validator (kept out of first-load JS). */
export function useSpecValidator() {
  const schema = useQuery({ queryKey: ["schema", "strategy"], queryFn: schemas.strategy, staleTime: Infinity, retry: 1 });
  const [loaded, setLoaded] = React.useState<LoadedValidator | null>(null);
  const [error, setError] = React.useState<unknown>(null);
  const settled = schema.isSuccess || schema.isError;
  React.useEffect(() => {
    if (!settled) return;
    let live = true;
    import("@/lib/spec-validator-loader")
      .then((m) => m.loadSpecValidator(schema.data ?? null))
      .then((l) => live && setLoaded(l))
      .catch((e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, [settled, schema.data]);
  return {
    validator: loaded?.validator ?? null,
    source: loaded?.source ?? null,
    schemaError: schema.error,
    error,
    loading: !loaded && !error,
  };
}
