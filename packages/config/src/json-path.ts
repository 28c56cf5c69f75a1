const PLAIN_KEY = /^[A-Za-z0-9_$-]+$/;

/** `joinPath("mcpServers", "notion")` is `mcpServers.notion`; indexes and odd keys use brackets. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  if (!PLAIN_KEY.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base === "" ? key : `${base}.${key}`;
}
