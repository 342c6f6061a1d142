/**
 * Label selectors (metav1.LabelSelector) evaluated against a set of labels, as the API server does. Used for
 * a CryptoPolicy's `namespaceSelector` and an MCPServer's pod `selector`.
 *
 * @example
 * selects({ matchLabels: { app: "mcp" } }, { app: "mcp", tier: "web" }); // true
 */
import type { LabelSelector } from "../api/types.generated.ts";

/** Whether `selector` selects an object with `labels`. An absent or empty selector selects everything. */
export function selects(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  return (selector?.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const present = Object.hasOwn(have, key);
    switch (operator) {
      case "In":
        return present && values.includes(have[key]!);
      case "NotIn":
        return !present || !values.includes(have[key]!);
      case "Exists":
        return present;
      case "DoesNotExist":
        return !present;
    }
  });
}

/** Whether a selector has no requirements at all (and so selects everything). */
export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return (
    Object.keys(selector?.matchLabels ?? {}).length === 0 &&
    (selector?.matchExpressions ?? []).length === 0
  );
}
