/**
 * oidc-provider makes two `Intl.ListFormat`s when it is imported, for error messages
 * it rarely writes ("must be 'a' or 'b'"). The first ICU object of a process maps
 * ICU's data and builds its caches: ~5 MiB of RSS in every signed-in sidecar,
 * measured. While `load` runs, `Intl.ListFormat` makes its ICU object on first use
 * instead; the real one is back when `load` settles.
 */
export async function withLazyListFormat<T>(load: () => Promise<T>): Promise<T> {
  const RealListFormat = Intl.ListFormat;
  class LazyListFormat {
    readonly #args: ConstructorParameters<typeof Intl.ListFormat>;
    #real: Intl.ListFormat | undefined;

    constructor(...args: ConstructorParameters<typeof Intl.ListFormat>) {
      this.#args = args;
    }

    #formatter(): Intl.ListFormat {
      this.#real ??= new RealListFormat(...this.#args);
      return this.#real;
    }

    format(list: Iterable<string>): string {
      return this.#formatter().format(list);
    }

    formatToParts(list: Iterable<string>): ReturnType<Intl.ListFormat['formatToParts']> {
      return this.#formatter().formatToParts(list);
    }

    resolvedOptions(): Intl.ResolvedListFormatOptions {
      return this.#formatter().resolvedOptions();
    }
  }
  // Intl's constructors are writable properties; TypeScript's lib calls them read-only.
  const intl = Intl as { ListFormat: typeof Intl.ListFormat };
  intl.ListFormat = LazyListFormat as unknown as typeof Intl.ListFormat;
  try {
    return await load();
  } finally {
    intl.ListFormat = RealListFormat;
  }
}
