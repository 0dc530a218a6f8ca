// The CLI's one table layout: columns padded to their widest cell (or cut at a maximum
// width with "…"), two spaces apart, the last column left ragged, no trailing blanks.

/**
 * `max[i]` caps column i (never the last); a longer cell is cut to the cap with "…".
 * Every listing uses this, so `profiles`, `dead-letters` and `variables` line up alike.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], max: readonly (number | undefined)[] = []): string {
  const widths = header.map((h, i) => Math.min(max[i] ?? Infinity, Math.max(h.length, ...rows.map((r) => r[i].length))))
  const cell = (v: string, i: number, last: boolean): string => {
    if (last) return v
    const cut = v.length > widths[i] ? v.slice(0, widths[i] - 1) + '…' : v
    return cut.padEnd(widths[i])
  }
  const line = (c: readonly string[]): string =>
    c
      .map((v, i) => cell(v, i, i === c.length - 1))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}
