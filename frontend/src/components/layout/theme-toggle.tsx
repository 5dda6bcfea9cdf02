"use client";
import * as React from "react";
import { useTheme } from "next-themes";
import { Check, Monitor, Moon, Sun } from "lucide-react";
import { PopoverMenu, menuItemClass } from "@/components/ui/popover-menu";

const OPTIONS = [
  { value: "light", label: "Light", Icon: Sun },
  { value: "dark", label: "Dark", Icon: Moon },
  { value: "system", label: "System", Icon: Monitor },
] as const;

export function ThemeToggle() {
  const { theme, setTheme, resolvedTheme } = useTheme();
  const [mounted, setMounted] = React.useState(false);
  React.useEffect(() => setMounted(true), []);
  const Icon = !mounted ? Monitor : resolvedTheme === "dark" ? Moon : Sun;
  const current = mounted ? (theme ?? "system") : "system";
  return (
    <PopoverMenu label={`Theme: ${current}. Change theme`} icon={<Icon />} testId="theme-toggle">
      {(close) => (
        <div role="group" aria-label="Theme">
          {OPTIONS.map(({ value, label, Icon: I }) => (
            <button
              key={value}
              type="button"
              data-menu-item
              aria-pressed={current === value}
              className={menuItemClass}
              onClick={() => {
                setTheme(value);
                close();
              }}
            >
              <I aria-hidden /> <span className="flex-1">{label}</span>
              {current === value ? <Check aria-hidden /> : null}
            </button>
          ))}
        </div>
      )}
    </PopoverMenu>
  );
}
