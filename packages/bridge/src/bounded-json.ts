import { errors } from './errors.ts';

/**
 * The deepest nesting of objects and arrays a request may have (the JSON-RPC message
 * itself counts: `{"params":{"arguments":{…}}}` is three levels). Forwarding a message
 * is a recursive JSON.stringify: 100k levels of `[` overflowed the stack in
 * StdioChild.send and the request was never answered. 128 is far beyond any real MCP
 * message and far below what recursion can take.
 */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_SQUARE = 0x5b;
const OPEN_CURLY = 0x7b;
const CLOSE_SQUARE = 0x5d;
const CLOSE_CURLY = 0x7d;

/**
 * A request body parsed as JSON, or a coded refusal: syntax (BRIDGE_ERR_PARSE), nesting
 * deeper than MAX_JSON_DEPTH (BRIDGE_ERR_JSON_TOO_DEEP), or a prototype-poisoning key
 * (BRIDGE_ERR_JSON_PROTO_KEY, refused as fastify's secure-json-parse does): a child
 * dropped a message with a top-level `__proto__` without answering it.
 */
export function parseBoundedJson(text: string): unknown {
  if (nestingExceeds(text, MAX_JSON_DEPTH)) throw errors.BRIDGE_ERR_JSON_TOO_DEEP(String(MAX_JSON_DEPTH));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw errors.BRIDGE_ERR_PARSE((error as Error).message);
  }
  // Most bodies cannot hold such a key at all (`\u` escapes could spell one): no walk for them.
  if (text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')) {
    const key = poisonedKey(value);
    if (key !== undefined) throw errors.BRIDGE_ERR_JSON_PROTO_KEY(key);
  }
  return value;
}

/**
 * Whether the JSON text nests objects and arrays deeper than `limit`: one linear scan
 * counting brackets outside strings (strings are skipped with indexOf), no recursion
 * and no allocation. A body too short to reach the limit is not scanned at all.
 */
export function nestingExceeds(text: string, limit: number): boolean {
  const length = text.length;
  // Depth n takes n opening and n closing brackets.
  if (length <= 2 * limit) return false;
  let depth = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      i = closingQuote(text, i);
      if (i === -1) return false;
    } else if (code === OPEN_SQUARE || code === OPEN_CURLY) {
      depth += 1;
      if (depth > limit) return true;
    } else if (code === CLOSE_SQUARE || code === CLOSE_CURLY) {
      depth -= 1;
    }
  }
  return false;
}

/** The index of the quote that ends the string opened at `open`, or -1 (invalid JSON: JSON.parse says so). */
function closingQuote(text: string, open: number): number {
  let at = text.indexOf('"', open + 1);
  while (at !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
  return -1;
}

/** `__proto__` or `constructor.prototype` as an own key anywhere in a parsed value; walked with a stack, not recursion. */
function poisonedKey(root: unknown): string | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (!Array.isArray(node)) {
      if (Object.hasOwn(node, '__proto__')) return '__proto__';
      const constructor = Object.hasOwn(node, 'constructor') ? (node as { constructor: unknown }).constructor : undefined;
      if (constructor !== null && typeof constructor === 'object' && Object.hasOwn(constructor, 'prototype')) return 'constructor.prototype';
    }
    for (const child of Object.values(node)) if (child !== null && typeof child === 'object') stack.push(child);
  }
  return undefined;
}
