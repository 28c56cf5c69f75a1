/** Where a JSON text stops being JSON, 1-based, with a message that never quotes the text around it. */
export type JsonSyntaxError = { readonly line: number; readonly column: number; readonly message: string };

export type JsonParseResult = { readonly value: unknown } | { readonly error: JsonSyntaxError };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;
const WORDS = ["true", "false", "null"];

class Failure {
  readonly offset: number;
  readonly message: string;
  constructor(offset: number, message: string) {
    this.offset = offset;
    this.message = message;
  }
}

/** Scans `text` as JSON and throws a Failure at the first error (V8's messages may echo the text). */
function scan(text: string): void {
  let i = 0;
  const found = (): string => (i >= text.length ? "end of file" : `'${text[i]}'`);
  const fail = (expected: string): never => {
    throw new Failure(i, `expected ${expected}, got ${found()}`);
  };
  const skipSpace = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const expect = (char: string, what: string): void => {
    skipSpace();
    if (text[i] !== char) fail(what);
    i++;
  };
  function string(): void {
    i++;
    for (;;) {
      const char = text[i];
      if (char === undefined) fail("a closing '\"'");
      if (char === '"') return void i++;
      if (char < " ") fail("no control characters in a string (escape newlines as \\n)");
      if (char === "\\") {
        ESCAPE.lastIndex = i;
        if (!ESCAPE.test(text)) fail('a valid escape (\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\uXXXX)');
        i = ESCAPE.lastIndex;
      } else i++;
    }
  }
  function list(close: string, item: () => void, what: string): void {
    i++;
    skipSpace();
    if (text[i] === close) return void i++;
    for (;;) {
      item();
      skipSpace();
      if (text[i] === close) return void i++;
      if (text[i] !== ",") fail(`',' or '${close}' after ${what}`);
      i++;
    }
  }
  function property(): void {
    skipSpace();
    if (text[i] !== '"') fail("a property name in double quotes");
    string();
    expect(":", "':' after a property name");
    value();
  }
  function value(): void {
    skipSpace();
    const char = text[i];
    if (char === "{") return list("}", property, "a property value");
    if (char === "[") return list("]", value, "an array element");
    if (char === '"') return string();
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) return void (i = NUMBER.lastIndex);
    const word = WORDS.find((w) => text.startsWith(w, i));
    if (word) return void (i += word.length);
    fail("a value (object, array, string, number, true, false or null)");
  }
  value();
  skipSpace();
  if (i < text.length) fail("end of file after the top-level value");
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** JSON.parse, with a BOM tolerated and a syntax error located by line and column. */
export function parseJson(source: string): JsonParseResult {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  try {
    return { value: JSON.parse(text) };
  } catch {
    try {
      scan(text);
    } catch (failure) {
      if (!(failure instanceof Failure)) throw failure;
      return { error: { ...position(text, failure.offset), message: failure.message } };
    }
    return { error: { line: 1, column: 1, message: "expected valid JSON" } };
  }
}
