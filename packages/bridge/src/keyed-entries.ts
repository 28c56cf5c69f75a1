/**
 * Entries by string key, in an object used as a dictionary rather than in a Map.
 * A session lives long, so its containers sit in V8's old generation; while each
 * call's objects (its pending entry, its POST exchange and response) went through
 * a session's Map and Set, V8 promoted them out of the young generation. At 32
 * calls in flight the bridge promoted ~1.1 MB per scavenge, and its old generation
 * had to be marked again every ~0.6 s; with this table, and an array for the open
 * POSTs, ~0.14 MB (`--trace-gc-nvp`). Either container alone kept the promotion.
 */
export class KeyedEntries<V> {
  #items: Record<string, V> = Object.create(null) as Record<string, V>;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(key: string): V | undefined {
    return this.#items[key];
  }

  set(key: string, value: V): void {
    if (!(key in this.#items)) this.#size += 1;
    this.#items[key] = value;
  }

  delete(key: string): boolean {
    if (!(key in this.#items)) return false;
    delete this.#items[key];
    this.#size -= 1;
    return true;
  }

  values(): V[] {
    return Object.values(this.#items);
  }

  clear(): void {
    this.#items = Object.create(null) as Record<string, V>;
    this.#size = 0;
  }
}
