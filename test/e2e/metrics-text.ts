/**
 * Reads samples from the Prometheus text exposition format that `/metrics` serves, for the end-to-end
 * checks.
 *
 * @example
 * sumSamples('c_total{reason="Scheduled"} 2\nc_total{reason="Initial"} 1\n', "c_total", {
 *   reason: "Scheduled",
 * }); // 2
 */

/** The labels of one sample line, `name{a="1",b="x"} 2` → `{ a: "1", b: "x" }`. */
function labelsOf(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, key, value] of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
    labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return labels;
}

/**
 * The sum of the samples of metric `name` whose labels include `labels`; 0 when there are none.
 *
 * @example
 * sumSamples("up 1\n", "up"); // 1
 */
export function sumSamples(
  exposition: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  let sum = 0;
  for (const line of exposition.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = labelsOf(match[2] ?? "");
    if (Object.entries(labels).every(([key, value]) => found[key] === value))
      sum += Number(match[3]);
  }
  return sum;
}
