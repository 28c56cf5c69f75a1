/** A copy of `object` without its undefined-valued keys, so optional keys are absent, not undefined. */
export function omitUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}
