import { describe, expect, it } from "vitest";
import { SSEParser, readSSE } from "@/lib/sse";

describe("SSEParser", () => {
  it("parses events split across arbitrary chunks", () => {
    const p = new SSEParser();
    const text = 'event: token\ndata: {"text":"Hel"}\n\nevent: token\ndata: {"text":"lo"}\n\nevent: result\ndata: {"reply":"ok"}\n\n';
    const out = [];
    for (let i = 0; i < text.length; i += 3) out.push(...p.feed(text.slice(i, i + 3)));
    expect(out).toEqual([
      { event: "token", data: '{"text":"Hel"}' },
      { event: "token", data: '{"text":"lo"}' },
      { event: "result", data: '{"reply":"ok"}' },
    ]);
  });

  it("joins multi-line data, ignores comments, handles CRLF and defaults the event name", () => {
    const p = new SSEParser();
    const out = p.feed(": keep-alive\r\ndata: line one\r\ndata:line two\r\nid: 7\r\n\r\n");
    expect(out).toEqual([{ event: "message", data: "line one\nline two", id: "7" }]);
  });

  it("waits when a chunk ends between \\r and \\n", () => {
    const p = new SSEParser();
    expect(p.feed("data: a\r")).toEqual([]);
    expect(p.feed("\n\r\n")).toEqual([{ event: "message", data: "a" }]);
  });

  it("drops an event with no data and flushes a trailing event at end of stream", () => {
    const p = new SSEParser();
    expect(p.feed("event: ping\n\n")).toEqual([]);
    expect(p.feed("event: error\ndata: {}")).toEqual([]);
    expect(p.flush()).toEqual([{ event: "error", data: "{}" }]);
  });

  it("reads a byte stream with a multi-byte character split across chunks", async () => {
    const bytes = new TextEncoder().encode('event: token\ndata: {"text":"€ ok"}\n\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the euro sign
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, cut));
        c.enqueue(bytes.slice(cut));
        c.close();
      },
    });
    const got = [];
    for await (const ev of readSSE(stream)) got.push(ev);
    expect(got).toEqual([{ event: "token", data: '{"text":"€ ok"}' }]);
  });
});
