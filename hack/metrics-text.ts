/**
 * Reading a Prometheus text exposition in tests and dev tools, where pulling in a parser would be more
 * than the one question asked of it: what does this sample add up to.
 *
 * @example
 * const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
 * sampleSum(text, "latticeguard_proxy_requests_total", { code: "200" });
 */

/**
 * The value of the samples of `name` in a Prometheus text exposition whose labels include `labels`,
 * summed. Pure.
 *
 * @example
 * sampleSum('x_total{code="200"} 3\nx_total{code="502"} 1', "x_total", { code: "200" }); // 3
 */
export function sampleSum(text: string, name: string, labels: Record<string, string> = {}) {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map(
      [...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]] as const),
    );
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}
