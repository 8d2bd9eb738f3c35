const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * `30m`, `1h`, `90s`, `1h30m`, `250ms`, `0` → milliseconds; undefined when the text is not
 * a duration. A bare number other than 0 is refused: "90" could mean seconds or minutes.
 */
export function parseDurationMs(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === '0') return 0;
  if (!/^(\d+(?:\.\d+)?(ms|s|m|h|d))+$/.test(t)) return undefined;
  let total = 0;
  for (const [, value, unit] of t.matchAll(PART)) total += Number(value) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return Number.isFinite(total) ? total : undefined;
}

export const DURATION_HELP = 'a duration such as 90s, 30m, 1h, 1h30m or 0';

/** Whole seconds, for the workflow's `…Seconds` fields. */
export function parseDurationSeconds(text: string): number | undefined {
  const ms = parseDurationMs(text);
  return ms !== undefined && ms % 1000 === 0 ? ms / 1000 : undefined;
}

/** 0s, 42s, 5m03s, 2h05m: for elapsed times and durations in reports. */
export function formatSeconds(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}
