"use client";
import * as React from "react";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useQueryClient } from "@tanstack/react-query";
import { Activity, CandlestickChart, History, LineChart, LogOut, Menu, MessageSquare, Settings, UserRound } from "lucide-react";
import { toast } from "@/lib/toast";
import { PopoverMenu, menuItemClass } from "@/components/ui/popover-menu";
import { ThemeToggle } from "@/components/layout/theme-toggle";
import { RequireAuth, useMe } from "@/lib/auth";
import { auth } from "@/lib/api/endpoints";
import { cn } from "@/lib/utils";

const NAV = [
  { href: "/chat/", label: "Chat", icon: MessageSquare },
  { href: "/strategies/", label: "Strategies", icon: History },
  { href: "/backtests/", label: "Backtests", icon: LineChart },
  { href: "/market/", label: "Market", icon: CandlestickChart },
  { href: "/trading/", label: "Trading", icon: Activity },
];

function isActive(pathname: string, href: string) {
  const p = pathname.endsWith("/") ? pathname : `${pathname}/`;
  return p.startsWith(href) || (href === "/strategies/" && p.startsWith("/editor/"));
}

function AccountMenu() {
  const me = useMe();
  const router = useRouter();
  const qc = useQueryClient();
  const signOut = async () => {
    try {
      await auth.logout();
    } catch {
      /* signed out locally either way */
    }
    qc.clear();
    toast.success("Signed out");
    router.replace("/login/");
  };
  return (
    <PopoverMenu label="Account menu" icon={<UserRound />} testId="account-menu">
      {(close) => (
        <>
          <p className="max-w-56 truncate px-2 py-1.5 text-xs text-muted-foreground">{me.data?.email ?? "Account"}</p>
          <div className="-mx-1 my-1 h-px bg-border" />
          <Link href="/settings/" data-menu-item className={menuItemClass} onClick={close}>
            <Settings aria-hidden /> Settings
          </Link>
          <button type="button" data-menu-item className={menuItemClass} onClick={() => { close(); void signOut(); }} data-testid="sign-out">
            <LogOut aria-hidden /> Sign out
          </button>
        </>
      )}
    </PopoverMenu>
  );
}

export function AppShell({ children, title }: { children: React.ReactNode; title?: string }) {
  const pathname = usePathname();
  React.useEffect(() => {
    if (title) document.title = `${title} · VibeTrading`;
  }, [title]);
  return (
    <div className="flex min-h-dvh flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-background focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b bg-background/95 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-2 px-3 sm:px-5">
          <Link href="/chat/" className="mr-2 flex items-center gap-2 font-semibold tracking-tight">
            <span aria-hidden className="grid size-7 place-items-center rounded-md bg-primary text-xs font-bold text-primary-foreground">
              VT
            </span>
            <span>VibeTrading</span>
          </Link>
          <nav aria-label="Main" className="hidden items-center gap-1 md:flex">
            {NAV.map(({ href, label, icon: Icon }) => (
              <Link
                key={href}
                href={href}
                aria-current={isActive(pathname, href) ? "page" : undefined}
                className={cn(
                  "inline-flex items-center gap-1.5 rounded-md px-3 py-1.5 text-sm font-medium text-muted-foreground hover:bg-accent hover:text-foreground",
                  isActive(pathname, href) && "bg-accent text-foreground",
                )}
              >
                <Icon className="size-4" aria-hidden />
                {label}
              </Link>
            ))}
          </nav>
          <div className="ml-auto flex items-center gap-1">
            <nav aria-label="Main (compact)" className="md:hidden">
              <PopoverMenu label="Open navigation" icon={<Menu />}>
                {(close) =>
                  NAV.map(({ href, label, icon: Icon }) => (
                    <Link key={href} href={href} data-menu-item className={menuItemClass} onClick={close} aria-current={isActive(pathname, href) ? "page" : undefined}>
                      <Icon aria-hidden /> {label}
                    </Link>
                  ))
                }
              </PopoverMenu>
            </nav>
            <ThemeToggle />
            <AccountMenu />
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto w-full max-w-7xl flex-1 px-3 py-4 sm:px-5 sm:py-6">
        <RequireAuth>{children}</RequireAuth>
      </main>
      <footer className="border-t py-3 text-center text-xs text-muted-foreground">
        VibeTrading · backtests are simulations, not advice · charts by{" "}
        <a className="underline underline-offset-2" href="https://www.tradingview.com/lightweight-charts/" rel="noopener noreferrer" target="_blank">
          TradingView Lightweight Charts™
        </a>
      </footer>
    </div>
  );
}

export function PageHeader({ title, description, actions }: { title: string; description?: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-end justify-between gap-3">
      <div className="min-w-0">
        <h1 className="text-xl font-semibold tracking-tight sm:text-2xl">{title}</h1>
        {description ? <p className="mt-1 text-sm text-muted-foreground">{description}</p> : null}
      </div>
      {actions ? <div className="flex flex-wrap items-center gap-2">{actions}</div> : null}
    </div>
  );
}
