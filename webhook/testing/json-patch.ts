/**
 * Applies JSON Patch (RFC 6902) `add` operations to a copy of a document, as the API server does with a
 * mutating webhook's patch: for the unit tests of injection, which must show what the patched pod looks
 * like. Only `add`, the one operation the webhook emits; a path whose parent does not exist throws, as it
 * fails in the API server.
 *
 * @example
 * applyPatch({ spec: {} }, [{ op: "add", path: "/spec/volumes", value: [] }]); // { spec: { volumes: [] } }
 */

/** The value at a JSON Pointer token (RFC 6901). */
const unescape = (token: string) => token.replaceAll("~1", "/").replaceAll("~0", "~");

/**
 * A copy of `document` with `operations` applied in order.
 *
 * @example
 * applyPatch(pod, response.patch);
 */
export function applyPatch<T>(
  document: T,
  operations: readonly { op: string; path: string; value: unknown }[],
): T {
  const copy = structuredClone(document) as unknown;
  for (const { op, path, value } of operations) {
    if (op !== "add") throw new Error(`unsupported operation ${op}`);
    const tokens = path.split("/").slice(1).map(unescape);
    const last = tokens.pop()!;
    let parent = copy as Record<string, unknown> | unknown[];
    for (const token of tokens) {
      const next = (parent as Record<string, unknown>)[token];
      if (typeof next !== "object" || next === null) throw new Error(`${path}: no ${token}`);
      parent = next as Record<string, unknown>;
    }
    if (Array.isArray(parent)) {
      const index = last === "-" ? parent.length : Number(last);
      if (!(index >= 0 && index <= parent.length)) throw new Error(`${path}: out of range`);
      parent.splice(index, 0, structuredClone(value));
    } else parent[last] = structuredClone(value);
  }
  return copy as T;
}
