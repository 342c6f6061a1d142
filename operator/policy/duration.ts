/**
 * Go-style durations (`90s`, `1h30m`, `1.5h`), as the CRDs accept them, in milliseconds. The CRD schema
 * already rejects malformed values; this parser still checks, because objects can predate a schema.
 *
 * @example
 * parseDuration("1h30m", "spec.kem.rotationPeriod"); // 5_400_000
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ns|us|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g;

/** Parses a duration; throws an error naming `field` when `value` is not one. */
export function parseDuration(value: string, field: string): number {
  if (!WHOLE.test(value)) {
    throw new Error(`${field}: "${value}" is not a duration such as 90s, 15m or 24h`);
  }
  let ms = 0;
  for (const [, amount, unit] of value.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit!]!;
  return ms;
}

/** Formats milliseconds the way the CRDs write durations: `1h30m`, `45s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, seconds] of [
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    const n = Math.floor(rest / seconds);
    if (n) parts.push(`${n}${unit}`);
    rest -= n * seconds;
  }
  return parts.join("");
}
