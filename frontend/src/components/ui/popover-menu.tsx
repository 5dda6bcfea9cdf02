"use client";
import * as React from "react";
import { cn } from "@/lib/utils";

/**
 * A light disclosure menu for the app header (button + panel, aria-expanded; Escape, outside
 * click and choosing an item close it; focus returns to the button). Radix's DropdownMenu pulls
 * a positioning engine into every page, which the first-load budget cannot afford here.
 */
export function PopoverMenu({
  label,
  icon,
  children,
  align = "end",
  testId,
}: {
  label: string;
  icon: React.ReactNode;
  children: (close: () => void) => React.ReactNode;
  align?: "start" | "end";
  testId?: string;
}) {
  const [open, setOpen] = React.useState(false);
  const rootRef = React.useRef<HTMLDivElement>(null);
  const btnRef = React.useRef<HTMLButtonElement>(null);
  const panelId = React.useId();
  const close = React.useCallback((focus = true) => {
    setOpen(false);
    if (focus) btnRef.current?.focus();
  }, []);

  React.useEffect(() => {
    if (!open) return;
    const onDown = (e: PointerEvent) => {
      if (!rootRef.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") close();
    };
    document.addEventListener("pointerdown", onDown);
    document.addEventListener("keydown", onKey);
    rootRef.current?.querySelector<HTMLElement>("[data-menu-item]")?.focus();
    return () => {
      document.removeEventListener("pointerdown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [open, close]);

  const onPanelKey = (e: React.KeyboardEvent) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    e.preventDefault();
    const items = [...(rootRef.current?.querySelectorAll<HTMLElement>("[data-menu-item]") ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    const next = e.key === "ArrowDown" ? (i + 1) % items.length : (i - 1 + items.length) % items.length;
    items[next]?.focus();
  };

  return (
    <div ref={rootRef} className="relative">
      <button
        ref={btnRef}
        type="button"
        aria-label={label}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
        data-testid={testId}
        className="inline-flex size-9 cursor-pointer items-center justify-center rounded-md hover:bg-accent [&_svg]:size-4"
      >
        {icon}
      </button>
      {open ? (
        <div
          id={panelId}
          onKeyDown={onPanelKey}
          className={cn(
            "absolute top-full z-50 mt-1.5 min-w-48 rounded-md border bg-popover p-1 text-popover-foreground shadow-md",
            align === "end" ? "right-0" : "left-0",
          )}
        >
          {children(() => close(false))}
        </div>
      ) : null}
    </div>
  );
}

export const menuItemClass =
  "flex w-full cursor-pointer select-none items-center gap-2 rounded-sm px-2 py-1.5 text-left text-sm outline-none hover:bg-accent focus-visible:bg-accent [&_svg]:size-4";
