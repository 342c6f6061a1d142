/**
 * The flag values that name Kubernetes objects, checked the same way by every command that takes them:
 * `latticeguard cbom` reads the cluster the operator was configured for, so its `--namespace` and
 * `--watch-namespaces` must mean what the operator's do.
 *
 * @example
 * const namespace = check("namespace", namespaceFlag(env));
 * const watched = check("watch-namespaces", watchNamespacesFlag);
 */

/** A namespace name: an RFC 1123 label. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** An object name: an RFC 1123 subdomain. */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * `--namespace`: the value, else `$POD_NAMESPACE`, else `latticeguard-system`; throws unless a namespace
 * name.
 *
 * @example
 * namespaceFlag({ POD_NAMESPACE: "lg" })(""); // "lg"
 */
export function namespaceFlag(
  env: Readonly<Record<string, string | undefined>>,
): (raw: string) => string {
  return (raw) => {
    const ns = raw || env.POD_NAMESPACE || "latticeguard-system";
    if (!NAMESPACE_NAME.test(ns)) throw new Error(`"${ns}" is not a namespace name`);
    return ns;
  };
}

/**
 * `--watch-namespaces`: comma-separated namespace names, without repeats; empty: undefined (every
 * namespace). Throws naming each bad one.
 *
 * @example
 * watchNamespacesFlag("a, b,a"); // ["a", "b"]
 */
export function watchNamespacesFlag(raw: string): string[] | undefined {
  if (!raw) return undefined;
  const names = raw.split(",").map((ns) => ns.trim());
  const bad = names.filter((ns) => !NAMESPACE_NAME.test(ns)).map((ns) => `"${ns}"`);
  if (bad.length)
    throw new Error(`must be namespace names separated by commas; not one: ${bad.join(", ")}`);
  return [...new Set(names)];
}

/**
 * A flag naming a Secret or ConfigMap; throws unless an object name.
 *
 * @example
 * objectNameFlag("latticeguard-trust-bundle"); // "latticeguard-trust-bundle"
 */
export function objectNameFlag(raw: string): string {
  if (!OBJECT_NAME.test(raw)) throw new Error(`must be a Kubernetes object name, got "${raw}"`);
  return raw;
}
