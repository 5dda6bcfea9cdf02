"use client";
import * as React from "react";
import dynamic from "next/dynamic";
import { Rocket } from "lucide-react";
import { Button } from "@/components/ui/button";
import type { DeployContext } from "@/components/trading/deploy-dialog";

// The dialog (Radix Dialog, the form, the account queries) loads on the first click: the
// dashboard's first-load JavaScript stays inside its budget.
const DeployDialog = dynamic(() => import("@/components/trading/deploy-dialog").then((m) => m.DeployDialog), { ssr: false });

export function DeployButton({ ctx }: { ctx: DeployContext }) {
  const [open, setOpen] = React.useState(false);
  const [mounted, setMounted] = React.useState(false);
  return (
    <>
      <Button
        size="sm"
        onClick={() => {
          setMounted(true);
          setOpen(true);
        }}
        data-testid="deploy-paper"
      >
        <Rocket /> Deploy to paper
      </Button>
      {mounted ? <DeployDialog open={open} onOpenChange={setOpen} ctx={ctx} /> : null}
    </>
  );
}
