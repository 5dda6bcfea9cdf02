"use client";
import * as React from "react";
import { cn } from "@/lib/utils";

/** A table that scrolls sideways inside its box (never the page) and says so when it does. */
export function Table({ className, caption, ...props }: React.TableHTMLAttributes<HTMLTableElement> & { caption?: string }) {
  const ref = React.useRef<HTMLDivElement>(null);
  const [overflow, setOverflow] = React.useState(false);
  React.useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const check = () => setOverflow(el.scrollWidth > el.clientWidth + 1);
    check();
    const ro = new ResizeObserver(check);
    ro.observe(el);
    if (el.firstElementChild) ro.observe(el.firstElementChild);
    return () => ro.disconnect();
  }, []);
  return (
    <div className="grid min-w-0 grid-cols-[minmax(0,1fr)]">
      {overflow ? (
        <p className="px-2 pb-1 text-right text-xs text-muted-foreground" data-testid="scroll-hint">
          Scroll sideways for more columns →
        </p>
      ) : null}
      <div ref={ref} className="relative w-full overflow-x-auto" tabIndex={overflow ? 0 : undefined} role={overflow ? "region" : undefined} aria-label={overflow ? (caption ?? "Table") : undefined}>
        <table className={cn("w-full caption-bottom text-sm tabular", className)} {...props}>
          {caption ? <caption className="sr-only">{caption}</caption> : null}
          {props.children}
        </table>
      </div>
    </div>
  );
}
export function THead({ className, ...props }: React.HTMLAttributes<HTMLTableSectionElement>) {
  return <thead className={cn("[&_tr]:border-b", className)} {...props} />;
}
export function TBody({ className, ...props }: React.HTMLAttributes<HTMLTableSectionElement>) {
  return <tbody className={cn("[&_tr:last-child]:border-0", className)} {...props} />;
}
export function TR({ className, ...props }: React.HTMLAttributes<HTMLTableRowElement>) {
  return <tr className={cn("border-b transition-colors hover:bg-muted/40", className)} {...props} />;
}
export function TH({ className, ...props }: React.ThHTMLAttributes<HTMLTableCellElement>) {
  return <th className={cn("h-9 px-1.5 text-left sm:px-2 align-middle text-xs font-medium text-muted-foreground whitespace-nowrap", className)} {...props} />;
}
export function TD({ className, ...props }: React.TdHTMLAttributes<HTMLTableCellElement>) {
  return <td className={cn("px-1.5 py-1.5 align-middle sm:px-2 whitespace-nowrap", className)} {...props} />;
}
