"use client";
import { useEffect } from "react";
import { useRouter } from "next/navigation";

export default function Home() {
  const router = useRouter();
  useEffect(() => router.replace("/chat/"), [router]);
  return (
    <main id="main" className="p-8 text-sm text-muted-foreground">
      <h1 className="sr-only">VibeTrading</h1>
      <p role="status">Opening VibeTrading…</p>
    </main>
  );
}
