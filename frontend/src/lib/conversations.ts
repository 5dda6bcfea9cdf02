/**
 * Which chat conversation edits which strategy. The API links a conversation to its strategy but
 * not back, so the browser remembers it (per device) to let the editor continue the same
 * conversation for natural-language edits instead of starting a new strategy.
 */
const KEY = "vt:conversation-by-strategy";

function read(): Record<string, string> {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? "{}") as Record<string, string>;
  } catch {
    return {};
  }
}

export function rememberConversation(strategyId: string | null | undefined, conversationId: string | null | undefined): void {
  if (!strategyId || !conversationId || typeof localStorage === "undefined") return;
  const map = read();
  map[strategyId] = conversationId;
  localStorage.setItem(KEY, JSON.stringify(map));
}

export function conversationFor(strategyId: string | null | undefined): string | null {
  if (!strategyId || typeof localStorage === "undefined") return null;
  return read()[strategyId] ?? null;
}
