import Link from "next/link";
import { buttonClass } from "@/components/ui/button";

/** Branded 404: the gateway serves out/404.html for any unknown path. */
export default function NotFound() {
  return (
    <div className="flex min-h-dvh flex-col">
      <header className="border-b">
        <div className="mx-auto flex h-14 max-w-7xl items-center px-3 sm:px-5">
          <Link href="/chat/" className="flex items-center gap-2 font-semibold tracking-tight">
            <span aria-hidden className="grid size-7 place-items-center rounded-md bg-primary text-xs font-bold text-primary-foreground">
              VT
            </span>
            <span>VibeTrading</span>
          </Link>
        </div>
      </header>
      <main id="main" className="mx-auto grid w-full max-w-xl flex-1 content-center gap-4 px-4 py-16 text-center" data-testid="not-found">
        <p className="text-sm font-semibold text-primary">404</p>
        <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">This page does not exist</h1>
        <p className="text-muted-foreground">The link may be old or mistyped. Your strategies and backtests are where you left them.</p>
        <div className="flex flex-wrap justify-center gap-2">
          <Link className={buttonClass()} href="/chat/">
            Chat a strategy
          </Link>
          <Link className={buttonClass("outline")} href="/backtests/">
            Your backtests
          </Link>
          <Link className={buttonClass("outline")} href="/strategies/">
            Your strategies
          </Link>
        </div>
      </main>
      <footer className="border-t py-3 text-center text-xs text-muted-foreground">VibeTrading · backtests are simulations, not advice</footer>
    </div>
  );
}
