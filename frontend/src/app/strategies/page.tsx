"use client";
import * as React from "react";
import Link from "next/link";
import { useInfiniteQuery } from "@tanstack/react-query";
import { AppShell, PageHeader } from "@/components/layout/app-shell";
import { EmptyState, ProblemAlert } from "@/components/problem";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClass } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/progress";
import { strategies } from "@/lib/api/endpoints";
import { fmtDateTime } from "@/lib/format";

function List() {
  const q = useInfiniteQuery({
    queryKey: ["strategies"],
    queryFn: ({ pageParam }) => strategies.list(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (p) => p.next_cursor,
  });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title="Strategies" description="Every strategy you chatted, with its version history." actions={<Link className={buttonClass()} href="/chat/">New strategy</Link>} />
      {q.isPending ? <Skeleton className="h-48 w-full" /> : null}
      {q.isError ? <ProblemAlert error={q.error} /> : null}
      {q.data && !items.length ? (
        <EmptyState title="No strategies yet" action={<Link className={buttonClass()} href="/chat/">Chat a strategy</Link>}>
          Strategies you describe in the chat are saved here, one version per change.
        </EmptyState>
      ) : null}
      <ul className="grid gap-2 sm:grid-cols-2 lg:grid-cols-3" data-testid="strategy-list">
        {items.map((s) => {
          const v = s.current_version;
          const symbols = (s.symbols ?? s.spec?.universe?.symbols)?.join(", ");
          return (
            <li key={s.id}>
              <Link href={`/strategies/view/?id=${encodeURIComponent(s.id)}`} className="block h-full rounded-xl border bg-card p-4 hover:bg-accent">
                <span className="flex items-center gap-2">
                  <span className="truncate font-medium">{s.name ?? "Untitled strategy"}</span>
                  {v ? <Badge variant="secondary">v{v}</Badge> : null}
                </span>
                {symbols ? <span className="mt-1 block text-sm text-muted-foreground">{symbols}</span> : null}
                <span className="mt-1 block text-xs text-muted-foreground">updated {fmtDateTime(s.updated_at ?? s.created_at)}</span>
              </Link>
            </li>
          );
        })}
      </ul>
      {q.hasNextPage ? (
        <div className="mt-3 flex justify-center">
          <Button variant="outline" onClick={() => q.fetchNextPage()}>
            Load more
          </Button>
        </div>
      ) : null}
    </>
  );
}

export default function StrategiesPage() {
  return (
    <AppShell title="Strategies">
      <List />
    </AppShell>
  );
}
