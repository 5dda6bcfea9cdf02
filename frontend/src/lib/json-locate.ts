/**
 * Maps JSON Pointer paths ("/entry/fast/period") to the line (1-based) where that value starts
 * in a JSON text, so validation errors can be put on the right line of the editor.
 */
export function locatePointers(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let i = 0;
  let line = 1;
  const ws = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === "\n") line++;
      else if (c !== " " && c !== "\t" && c !== "\r") break;
      i++;
    }
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") i++;
      i++;
    }
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return text.slice(start + 1, i - 1);
    }
  };
  const esc = (k: string) => k.replace(/~/g, "~0").replace(/\//g, "~1");
  const value = (ptr: string, depth: number): void => {
    if (depth > 200) throw new Error("too deep");
    ws();
    out.set(ptr, line);
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Error("key expected");
        const keyLine = line;
        const key = str();
        ws();
        if (text[i] !== ":") throw new Error(": expected");
        i++;
        value(`${ptr}/${esc(key)}`, depth + 1);
        // An error about a key (e.g. additionalProperties) points at the key's line.
        out.set(`${ptr}/${esc(key)}#key`, keyLine);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        throw new Error(", or } expected");
      }
    } else if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${ptr}/${n}`, depth + 1);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        throw new Error(", or ] expected");
      }
    } else if (c === '"') {
      str();
    } else {
      while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
    }
  };
  try {
    value("", 0);
  } catch {
    /* partial map is still useful */
  }
  return out;
}

/** Line and column (1-based) of a character offset. */
export function lineColOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let k = 0; k < Math.min(offset, text.length); k++) {
    if (text[k] === "\n") {
      line++;
      last = k;
    }
  }
  return { line, column: offset - last };
}
