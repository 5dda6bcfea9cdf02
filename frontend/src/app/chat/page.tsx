"use client";
import { AppShell } from "@/components/layout/app-shell";
import { ChatView } from "@/components/chat/chat-view";

export default function ChatPage() {
  return (
    <AppShell title="Chat">
      <ChatView />
    </AppShell>
  );
}
