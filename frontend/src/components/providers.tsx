"use client";
import * as React from "react";
import dynamic from "next/dynamic";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { ThemeProvider, useTheme } from "next-themes";
import { ApiError } from "@/lib/api/client";
import { registerToasterMount } from "@/lib/toast";

const Toaster = dynamic(() => import("sonner").then((m) => m.Toaster), { ssr: false });

function LazyToaster() {
  const { resolvedTheme } = useTheme();
  const [on, setOn] = React.useState(false);
  React.useEffect(() => registerToasterMount(() => setOn(true)), []);
  return on ? <Toaster theme={resolvedTheme === "dark" ? "dark" : "light"} closeButton position="bottom-right" /> : null;
}

export function Providers({ children }: { children: React.ReactNode }) {
  const [client] = React.useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            staleTime: 30_000,
            refetchOnWindowFocus: false,
            retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
          },
        },
      }),
  );
  return (
    <ThemeProvider attribute="class" defaultTheme="system" enableSystem disableTransitionOnChange>
      <QueryClientProvider client={client}>
        {children}
        <LazyToaster />
      </QueryClientProvider>
    </ThemeProvider>
  );
}
