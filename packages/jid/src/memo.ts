// Memoisation of per-code-point Unicode properties (no standard; a performance helper).

/**
 * Wraps a code point property so each BMP code point is computed once, in a lazily filled
 * 64 KiB table; the regular-expression and normalisation probes behind the properties cost
 * hundreds of nanoseconds each. Supplementary code points are rare and computed every time.
 */
export function memoByCodePoint<T extends string>(
  values: readonly T[],
  compute: (cp: number) => T,
): (cp: number) => T {
  const table = new Uint8Array(0x10000);
  const index = new Map<T, number>(values.map((v, i) => [v, i + 1]));
  return (cp) => {
    if (cp > 0xffff) return compute(cp);
    const cached = table[cp]!;
    if (cached !== 0) return values[cached - 1]!;
    const value = compute(cp);
    table[cp] = index.get(value)!;
    return value;
  };
}
