/**
 * Fresh reads of a namespace (admit.ts reads one before it denies), shared and bounded. Each read is
 * three lists on the API server, and the webhook port answers whoever reaches it: without a bound, a
 * flood of reviews that would be denied would become a flood of lists, and a slow API server would let
 * them pile up.
 *
 * - Shared: while a read of a namespace is in flight, requests for that namespace wait for the next
 *   read, which starts when the current one ends and serves all of them. A request is never answered
 *   from a read that started before it arrived (that read might miss the MCPServer created just before
 *   the request, which is what fresh reads are for), and one namespace never has more than two reads
 *   under way.
 * - Bounded: at most `maxNamespaces` namespaces are read at once; a read of one more fails at once with
 *   {@link FreshReadsBusyError}, and admission falls back as it does for any failed read (it keeps the
 *   denial it had from the cache, or denies a namespace it has never seen: it fails closed). A read that
 *   gives up (its deadline, a failed list) cancels its requests as it ends (cluster-view.ts), so a place
 *   freed here is a request fewer on the API server, not one left running behind.
 *
 * @example
 * const views = clusterViews(caches, kc);
 * const bounded = { ...views, fresh: sharedFreshReads(views.fresh, 8) };
 */
import type { ClusterView } from "./types.ts";

/**
 * Too many namespaces are being read already.
 *
 * @example
 * if (error instanceof FreshReadsBusyError) log.debug("Skipped a fresh read");
 */
export class FreshReadsBusyError extends Error {
  constructor(max: number) {
    super(`${max} namespaces are being read from the API server already`);
    this.name = "FreshReadsBusyError";
  }
}

/**
 * How many namespaces may be read at once by default.
 *
 * @example
 * sharedFreshReads(views.fresh, DEFAULT_MAX_FRESH_NAMESPACES);
 */
export const DEFAULT_MAX_FRESH_NAMESPACES = 8;

/**
 * `read`, shared per namespace and bounded across them (see the module notes).
 *
 * @example
 * const fresh = sharedFreshReads((ns) => views.fresh(ns));
 * await fresh("shop");
 */
export function sharedFreshReads(
  read: (namespace: string) => Promise<ClusterView>,
  maxNamespaces: number = DEFAULT_MAX_FRESH_NAMESPACES,
): (namespace: string) => Promise<ClusterView> {
  if (!(Number.isInteger(maxNamespaces) && maxNamespaces >= 1))
    throw new RangeError("`maxNamespaces` must be a positive integer");
  const current = new Map<string, Promise<ClusterView>>();
  const next = new Map<string, Promise<ClusterView>>();
  const start = (namespace: string): Promise<ClusterView> => {
    next.delete(namespace);
    const flight = Promise.resolve()
      .then(() => read(namespace))
      .finally(() => {
        if (current.get(namespace) === flight) current.delete(namespace);
      });
    current.set(namespace, flight);
    return flight;
  };
  return (namespace) => {
    const waiting = next.get(namespace);
    if (waiting) return waiting;
    const running = current.get(namespace);
    if (running) {
      const after = running.then(
        () => start(namespace),
        () => start(namespace),
      );
      next.set(namespace, after);
      return after;
    }
    if (current.size >= maxNamespaces)
      return Promise.reject(new FreshReadsBusyError(maxNamespaces));
    return start(namespace);
  };
}
