"use client";
import * as React from "react";
import { useQueryClient } from "@tanstack/react-query";
import { toast } from "@/lib/toast";
import { AppShell, PageHeader } from "@/components/layout/app-shell";
import { ProblemAlert } from "@/components/problem";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import { Select } from "@/components/ui/select";
import { Switch } from "@/components/ui/switch";
import { fieldErrors } from "@/lib/api/client";
import { auth } from "@/lib/api/endpoints";
import { useMe } from "@/lib/auth";
import type { UserSettings, UserSettingsUpdate } from "@/lib/api/types";

const PROVIDERS = [
  { value: "default", label: "Server default (offline parser unless configured)" },
  { value: "anthropic", label: "Anthropic" },
  { value: "openai", label: "OpenAI" },
];

/** The API stores commission and slippage as fractions (0.001); people type percent (0.1). */
const toPct = (f: number | null | undefined, dflt: string) => (f === null || f === undefined ? dflt : String(+(f * 100).toPrecision(6)));

function num(v: string): number | null {
  return v.trim() === "" ? null : Number(v);
}

function SettingsForm() {
  const me = useMe();
  const qc = useQueryClient();
  const s: UserSettings = me.data?.settings ?? { has_llm_api_key: false };
  const [provider, setProvider] = React.useState(String(s.llm_provider ?? "default"));
  const [model, setModel] = React.useState(String(s.llm_model ?? ""));
  const [apiKey, setApiKey] = React.useState("");
  const [clearKey, setClearKey] = React.useState(false);
  const [commission, setCommission] = React.useState(toPct(s.default_commission, "0.1"));
  const [slippage, setSlippage] = React.useState(toPct(s.default_slippage, "0.05"));
  const [capital, setCapital] = React.useState(s.default_initial_capital != null ? String(s.default_initial_capital) : "100000");
  const [errors, setErrors] = React.useState<Record<string, string>>({});
  const [error, setError] = React.useState<unknown>(null);
  const [busy, setBusy] = React.useState(false);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    const c = num(commission);
    const sl = num(slippage);
    const cap = num(capital);
    if (c === null || !Number.isFinite(c) || c < 0 || c > 10) local.default_commission = "Enter a commission between 0 and 10 (percent per fill).";
    if (sl === null || !Number.isFinite(sl) || sl < 0 || sl > 10) local.default_slippage = "Enter a slippage between 0 and 10 (percent per fill).";
    if (cap === null || !Number.isFinite(cap) || cap <= 0) local.default_initial_capital = "Enter a starting capital above 0.";
    if (model && !/^[A-Za-z0-9._:/-]+$/.test(model)) local.llm_model = "Use only letters, digits and . _ : / - (e.g. claude-sonnet-4-5).";
    if (apiKey && apiKey.length < 8) local.llm_api_key = "That key looks too short: paste the whole key (8+ characters).";
    if (provider !== "default" && !s.has_llm_api_key && !apiKey) local.llm_api_key = `Paste your ${provider} API key, or use the server default.`;
    setErrors(local);
    setError(null);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const body: UserSettingsUpdate = {
        llm_provider: provider as UserSettingsUpdate["llm_provider"],
        llm_model: model || null,
        default_commission: c! / 100,
        default_slippage: sl! / 100,
        default_initial_capital: cap,
      };
      if (apiKey) body.llm_api_key = apiKey;
      else if (clearKey) body.llm_api_key = null;
      await auth.saveSettings(body);
      setApiKey("");
      setClearKey(false);
      await qc.invalidateQueries({ queryKey: ["me"] });
      toast.success("Settings saved");
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate className="grid max-w-2xl gap-4" aria-label="Settings">
      <Card>
        <CardHeader>
          <CardTitle>Account</CardTitle>
          <CardDescription>Signed in as {me.data?.email}</CardDescription>
        </CardHeader>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Strategy assistant</CardTitle>
          <CardDescription>Which model turns your words into a StrategySpec. The key is stored encrypted and never shown again.</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          <Field id="llm_provider" label="Provider" error={errors.llm_provider}>
            <Select id="llm_provider" value={provider} onValueChange={setProvider} options={PROVIDERS} />
          </Field>
          <Field id="llm_model" label="Model" hint="Leave empty for the provider's default." error={errors.llm_model}>
            <Input id="llm_model" value={model} onChange={(e) => setModel(e.target.value)} placeholder="e.g. claude-sonnet-4-5" />
          </Field>
          <Field id="llm_api_key" label="API key" hint={s.has_llm_api_key ? "A key is saved. Paste a new one to replace it." : "Not set."} error={errors.llm_api_key}>
            <Input id="llm_api_key" type="password" autoComplete="off" value={apiKey} onChange={(e) => setApiKey(e.target.value)} placeholder={s.has_llm_api_key ? "••••••••" : "sk-…"} />
          </Field>
          {s.has_llm_api_key ? (
            <div className="flex items-center gap-2">
              <Switch id="clear-key" checked={clearKey} onCheckedChange={setClearKey} />
              <label htmlFor="clear-key" className="text-sm">
                Remove the saved key
              </label>
              <Badge variant="success">key saved</Badge>
            </div>
          ) : null}
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Backtest defaults</CardTitle>
          <CardDescription>Used when a strategy does not say otherwise.</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4 sm:grid-cols-3">
          <Field id="default_commission" label="Commission (%)" hint="Per fill, e.g. 0.1" error={errors.default_commission}>
            <Input id="default_commission" inputMode="decimal" value={commission} onChange={(e) => setCommission(e.target.value)} />
          </Field>
          <Field id="default_slippage" label="Slippage (%)" hint="Per fill, e.g. 0.05" error={errors.default_slippage}>
            <Input id="default_slippage" inputMode="decimal" value={slippage} onChange={(e) => setSlippage(e.target.value)} />
          </Field>
          <Field id="default_initial_capital" label="Starting capital" hint="Account currency" error={errors.default_initial_capital}>
            <Input id="default_initial_capital" inputMode="decimal" value={capital} onChange={(e) => setCapital(e.target.value)} />
          </Field>
        </CardContent>
      </Card>
      {error && !Object.keys(errors).length ? <ProblemAlert error={error} /> : null}
      <div>
        <Button type="submit" disabled={busy} data-testid="save-settings">
          {busy ? "Saving…" : "Save settings"}
        </Button>
      </div>
    </form>
  );
}

export default function SettingsPage() {
  return (
    <AppShell title="Settings">
      <PageHeader title="Settings" />
      <SettingsGate />
    </AppShell>
  );
}

function SettingsGate() {
  const me = useMe();
  // Mount the form once the account is loaded so its fields start from the saved values.
  return me.data ? <SettingsForm key={me.data.id} /> : null;
}
