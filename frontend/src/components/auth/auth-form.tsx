"use client";
import * as React from "react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useQueryClient } from "@tanstack/react-query";
import { toast } from "@/lib/toast";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import { ProblemAlert } from "@/components/problem";
import { ThemeToggle } from "@/components/layout/theme-toggle";
import { fieldErrors } from "@/lib/api/client";
import { auth } from "@/lib/api/endpoints";

function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/chat/";
}

export function AuthForm({ mode }: { mode: "login" | "register" }) {
  const router = useRouter();
  const params = useSearchParams();
  const qc = useQueryClient();
  const [email, setEmail] = React.useState("");
  const [password, setPassword] = React.useState("");
  const [errors, setErrors] = React.useState<Record<string, string>>({});
  const [error, setError] = React.useState<unknown>(null);
  const [busy, setBusy] = React.useState(false);

  React.useEffect(() => {
    document.title = `${mode === "login" ? "Sign in" : "Create account"} · VibeTrading`;
  }, [mode]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) local.email = "Enter an email address like you@example.com.";
    if (mode === "register" && password.length < 8) local.password = "Use at least 8 characters.";
    if (mode === "login" && !password) local.password = "Enter your password.";
    setErrors(local);
    setError(null);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      if (mode === "register") await auth.register(email, password);
      await auth.login(email, password);
      await qc.invalidateQueries({ queryKey: ["me"] });
      toast.success(mode === "register" ? "Account created — welcome!" : "Signed in");
      router.replace(safeNext(params.get("next")));
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const isLogin = mode === "login";
  return (
    <div className="flex min-h-dvh flex-col">
      <div className="flex justify-end p-3">
        <ThemeToggle />
      </div>
      <main id="main" className="flex flex-1 items-start justify-center px-4 pb-16 pt-4 sm:items-center">
        <Card className="w-full max-w-sm">
          <CardHeader>
            <div aria-hidden className="mb-2 grid size-9 place-items-center rounded-lg bg-primary text-sm font-bold text-primary-foreground">
              VT
            </div>
            <CardTitle as="h1" className="text-xl">
              {isLogin ? "Sign in to VibeTrading" : "Create your account"}
            </CardTitle>
            <CardDescription>
              {isLogin ? "Describe strategies, backtest them, read the results." : "Your strategies and backtests stay on this server."}
            </CardDescription>
          </CardHeader>
          <CardContent>
            <form onSubmit={submit} noValidate className="grid gap-4" aria-label={isLogin ? "Sign in" : "Create account"}>
              <Field id="email" label="Email" error={errors.email}>
                <Input id="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
              </Field>
              <Field
                id="password"
                label="Password"
                hint={isLogin ? undefined : "At least 8 characters."}
                error={errors.password}
              >
                <Input
                  id="password"
                  type="password"
                  autoComplete={isLogin ? "current-password" : "new-password"}
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  required
                />
              </Field>
              {error && !Object.keys(errors).length ? <ProblemAlert error={error} /> : null}
              <Button type="submit" disabled={busy} className="w-full">
                {busy ? "Please wait…" : isLogin ? "Sign in" : "Create account"}
              </Button>
            </form>
            <p className="mt-4 text-center text-sm text-muted-foreground">
              {isLogin ? "New here? " : "Already have an account? "}
              <Link className="font-medium text-primary underline-offset-4 hover:underline" href={isLogin ? "/register/" : "/login/"}>
                {isLogin ? "Create an account" : "Sign in"}
              </Link>
            </p>
          </CardContent>
        </Card>
      </main>
    </div>
  );
}
