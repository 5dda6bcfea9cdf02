"use client";
import * as React from "react";
import { Bot, RotateCcw, Send, Square, UserRound } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Textarea } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { StrategyCard } from "@/components/strategy/strategy-card";
import { ProblemAlert } from "@/components/problem";
import { chatStrategy } from "@/lib/api/endpoints";
import type { ChatReply, Problem } from "@/lib/api/types";
import { ApiError } from "@/lib/api/client";
import { useRunBacktest } from "@/lib/use-run-backtest";
import { rememberConversation } from "@/lib/conversations";
import { cn } from "@/lib/utils";

interface Msg {
  id: string;
  role: "user" | "assistant";
  text: string;
  reply?: ChatReply;
  error?: Problem;
  streaming?: boolean;
}

const EXAMPLES = [
  "Buy SAMPLE:AAPL when the 20-day SMA crosses above the 50-day SMA, sell when it crosses below, 5% stop loss, from 2005 to 2012",
  "Mean reversion on SAMPLE:MSFT: buy when RSI(14) drops below 30, sell when it rises above 55, 2004 to 2013",
  "Trade DEMO:TREND with a 20-day Donchian breakout and a 3×ATR trailing stop",
];

const STORE = "vt:chat";

function clarificationText(c: ChatReply["clarification"]): string | null {
  return c || null;
}

export function ChatView() {
  const [msgs, setMsgs] = React.useState<Msg[]>([]);
  const [conversationId, setConversationId] = React.useState<string | null>(null);
  const [input, setInput] = React.useState("");
  const [inputError, setInputError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const abortRef = React.useRef<AbortController | null>(null);
  const endRef = React.useRef<HTMLDivElement>(null);
  const { run, running } = useRunBacktest();

  React.useEffect(() => {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORE) ?? "null") as { msgs: Msg[]; conversationId: string | null } | null;
      if (saved) {
        setMsgs(saved.msgs.map((m) => ({ ...m, streaming: false })));
        setConversationId(saved.conversationId);
      }
    } catch {
      /* ignore */
    }
  }, []);
  React.useEffect(() => {
    if (!busy) sessionStorage.setItem(STORE, JSON.stringify({ msgs, conversationId }));
  }, [msgs, conversationId, busy]);
  React.useEffect(() => {
    endRef.current?.scrollIntoView({ block: "end" });
  }, [msgs]);

  const update = (id: string, f: (m: Msg) => Msg) => setMsgs((all) => all.map((m) => (m.id === id ? f(m) : m)));

  const send = async (text: string) => {
    const message = text.trim();
    if (!message) {
      setInputError("Describe a strategy first, e.g. which symbol, when to buy and when to sell.");
      return;
    }
    if (message.length > 4000) {
      setInputError(`Keep the message under 4,000 characters (it has ${message.length}).`);
      return;
    }
    setInputError(null);
    setInput("");
    const uid = crypto.randomUUID();
    const aid = crypto.randomUUID();
    setMsgs((m) => [...m, { id: uid, role: "user", text: message }, { id: aid, role: "assistant", text: "", streaming: true }]);
    setBusy(true);
    const ac = new AbortController();
    abortRef.current = ac;
    try {
      for await (const ev of chatStrategy(message, conversationId, ac.signal)) {
        if (ev.type === "token") update(aid, (m) => ({ ...m, text: m.text + ev.text }));
        else if (ev.type === "result") {
          setConversationId(ev.reply.conversation_id ?? conversationId);
          rememberConversation(ev.reply.strategy_id, ev.reply.conversation_id);
          update(aid, (m) => ({ ...m, text: ev.reply.reply || m.text, reply: ev.reply, streaming: false }));
        } else if (ev.type === "error") update(aid, (m) => ({ ...m, error: ev.problem, streaming: false }));
      }
    } catch (err) {
      if (!(err instanceof DOMException && err.name === "AbortError")) {
        const problem: Problem = err instanceof ApiError ? err.problem : { title: "Chat failed", status: 0, detail: String(err) };
        update(aid, (m) => ({ ...m, error: problem }));
      }
    } finally {
      update(aid, (m) => ({ ...m, streaming: false }));
      setBusy(false);
      abortRef.current = null;
    }
  };

  const reset = () => {
    abortRef.current?.abort();
    setMsgs([]);
    setConversationId(null);
    sessionStorage.removeItem(STORE);
  };

  return (
    <div className="mx-auto flex w-full max-w-3xl flex-col gap-4">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <h1 className="text-xl font-semibold tracking-tight sm:text-2xl">Chat a strategy</h1>
          <p className="text-sm text-muted-foreground">Describe it in plain words; follow-ups edit the same strategy.</p>
        </div>
        {msgs.length ? (
          <Button variant="outline" size="sm" onClick={reset}>
            <RotateCcw /> New conversation
          </Button>
        ) : null}
      </div>

      <section aria-label="Conversation" aria-live="polite" aria-busy={busy} className="flex flex-col gap-4" data-testid="conversation">
        {msgs.length === 0 ? (
          <div className="rounded-xl border border-dashed p-5">
            <p className="font-medium">Try one of these</p>
            <ul className="mt-3 grid gap-2">
              {EXAMPLES.map((e) => (
                <li key={e}>
                  <button
                    type="button"
                    onClick={() => setInput(e)}
                    className="w-full cursor-pointer rounded-lg border bg-card p-3 text-left text-sm hover:bg-accent"
                  >
                    {e}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {msgs.map((m) => (
          <article key={m.id} className={cn("flex gap-3", m.role === "user" && "flex-row-reverse")} data-testid={`msg-${m.role}`}>
            <span aria-hidden className={cn("mt-1 grid size-7 shrink-0 place-items-center rounded-full", m.role === "user" ? "bg-primary text-primary-foreground" : "bg-muted")}>
              {m.role === "user" ? <UserRound className="size-4" /> : <Bot className="size-4" />}
            </span>
            <div className={cn("flex min-w-0 flex-1 flex-col gap-3", m.role === "user" && "items-end")}>
              <span className="sr-only">{m.role === "user" ? "You said:" : "Assistant:"}</span>
              {m.text || m.streaming ? (
                <div
                  className={cn(
                    "max-w-full whitespace-pre-wrap break-words rounded-2xl px-4 py-2.5 text-sm leading-6",
                    m.role === "user" ? "bg-primary text-primary-foreground" : "bg-muted",
                  )}
                  data-testid={m.role === "assistant" ? "assistant-text" : undefined}
                >
                  {m.text}
                  {m.streaming ? <span aria-label="Writing" className="ml-0.5 inline-block h-4 w-1.5 animate-pulse bg-current align-text-bottom" /> : null}
                </div>
              ) : null}
              {m.reply && clarificationText(m.reply.clarification) ? (
                <div role="note" className="rounded-lg border border-primary/40 bg-primary/5 p-3 text-sm">
                  <p className="font-medium">A question before I build it</p>
                  <p className="mt-1">{clarificationText(m.reply.clarification)}</p>
                </div>
              ) : null}
              {m.reply?.spec ? (
                <StrategyCard
                  reply={m.reply}
                  running={running}
                  onRun={() => run(m.reply!.strategy_id ? { strategy_id: m.reply!.strategy_id } : { spec: m.reply!.spec! })}
                />
              ) : null}
              {m.error ? <ProblemAlert error={new ApiError(m.error)} className="w-full" /> : null}
            </div>
          </article>
        ))}
        <div ref={endRef} />
      </section>

      <form
        className="sticky bottom-0 -mx-3 border-t bg-background/95 px-3 py-3 backdrop-blur sm:mx-0 sm:rounded-xl sm:border sm:px-3"
        onSubmit={(e) => {
          e.preventDefault();
          void send(input);
        }}
      >
        <Label htmlFor="chat-input" className="sr-only">
          {msgs.length ? "Follow-up: change the strategy" : "Describe your strategy"}
        </Label>
        <div className="flex items-end gap-2">
          <Textarea
            id="chat-input"
            rows={2}
            value={input}
            onChange={(e) => setInput(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
                e.preventDefault();
                if (!busy) void send(input);
              }
            }}
            placeholder={msgs.length ? "e.g. make the stop loss 3% and add a 200-day trend filter" : "e.g. Buy SAMPLE:AAPL when the 20-day SMA crosses above the 50-day SMA…"}
            aria-invalid={inputError ? true : undefined}
            aria-describedby={inputError ? "chat-input-error" : "chat-input-hint"}
            className="max-h-48 min-h-12 resize-y"
          />
          {busy ? (
            <Button type="button" variant="outline" size="icon" onClick={() => abortRef.current?.abort()} aria-label="Stop">
              <Square />
            </Button>
          ) : (
            <Button type="submit" size="icon" aria-label="Send" data-testid="chat-send">
              <Send />
            </Button>
          )}
        </div>
        {inputError ? (
          <p id="chat-input-error" role="alert" className="mt-1 text-xs font-medium text-destructive">
            {inputError}
          </p>
        ) : (
          <p id="chat-input-hint" className="mt-1 text-xs text-muted-foreground">
            Enter sends, Shift+Enter adds a line. Offline symbols: SAMPLE:AAPL, SAMPLE:MSFT, SAMPLE:IBM, SAMPLE:GOOG, DEMO:TREND, DEMO:RANGE.
          </p>
        )}
      </form>
    </div>
  );
}
