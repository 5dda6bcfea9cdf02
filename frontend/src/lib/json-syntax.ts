/**
 * Where a JSON text breaks and why, in words: JSON.parse's message differs between browsers and
 * often has no position ("Unexpected token 'x', "…" is not valid JSON"), so this small scanner
 * finds the first syntax error itself and says what was expected at that line and column.
 */
export interface JsonSyntaxError {
  offset: number;
  line: number;
  column: number;
  message: string;
}

function show(ch: string | undefined): string {
  if (ch === undefined) return "the end of the text";
  if (ch === "\n") return "a line break";
  if (ch === '"') return "the start of another text or field name";
  return `“${ch}”`;
}

export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw Object.assign(new Error(message), { at });
  };
  const ws = () => {
    while (i < text.length && " \t\r\n".includes(text[i])) i++;
  };
  const str = (what: string) => {
    if (text[i] !== '"') fail(`expected ${what} in double quotes, found ${show(text[i])}${text[i] === "'" ? " (JSON needs double quotes)" : ""}`);
    const start = i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\n") fail("this text is not closed: add the closing double quote", start);
      if (text[i] === "\\") i++;
      i++;
    }
    if (i >= text.length) fail("this text is not closed: add the closing double quote", start);
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] === "}") fail("remove the comma before “}” (JSON allows no trailing comma)", i);
        str("a field name");
        ws();
        if (text[i] !== ":") fail(`expected “:” after the field name, found ${show(text[i])}`);
        i++;
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") return void i++;
        fail(`expected “,” or “}” after the value, found ${show(text[i])} — is a comma missing at the end of the previous line?`);
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        ws();
        if (text[i] === "]") fail("remove the comma before “]” (JSON allows no trailing comma)", i);
        value();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") return void i++;
        fail(`expected “,” or “]” after the item, found ${show(text[i])} — is a comma missing?`);
      }
    }
    if (c === '"') return str("a text");
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
    if (m && m[0] && m[0] !== "-") return void (i += m[0].length);
    for (const lit of ["true", "false", "null"]) if (text.startsWith(lit, i)) return void (i += lit.length);
    fail(c === undefined ? "the text ends too early: a value or a closing bracket is missing" : `expected a value (a number, text in double quotes, true, false, null, {…} or […]), found ${show(c)}`);
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${show(text[i])} after the end of the spec`);
    return null;
  } catch (e) {
    const at = (e as { at?: number }).at ?? i;
    let line = 1;
    let last = -1;
    for (let k = 0; k < Math.min(at, text.length); k++) if (text[k] === "\n") (line++, (last = k));
    return { offset: at, line, column: at - last, message: (e as Error).message };
  }
}
