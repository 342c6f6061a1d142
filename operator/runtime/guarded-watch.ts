/**
 * A client-node `Watch` for the informer that can be closed for good. client-node's `ListWatch.stop()`
 * only aborts a watch request it already holds: stopped while it lists or connects, it goes on to open a
 * watch afterwards, which then runs (and feeds the cache) until it next fails. Once closed, this Watch
 * aborts every request it has open and refuses new ones, so nothing outlives `Informer.stop()`.
 *
 * It also turns a thrown error (an exec credential plugin failing, say) into an ordinary `done(error)`:
 * `ListWatch` calls `watch()` from un-awaited callbacks, where a rejection would go unhandled.
 *
 * And it keeps the resourceVersion of a quiet watch fresh. client-node asks for no bookmarks and ends a
 * watch after 30 s without data, then resumes from the resourceVersion of the last event, which in a
 * quiet namespace grows ever older until the API server has forgotten it (410 Gone) and the informer
 * must relist. This Watch asks for bookmarks (`allowWatchBookmarks`; the API server sends one about
 * every minute, and `ListWatch` takes their resourceVersion) and waits 90 s for data instead of 30 s.
 * The timeout is a private field of client-node's Watch: if it is ever renamed, setting it does nothing
 * and only the old 30 s behaviour returns (a unit test notices).
 *
 * @example
 * const watch = new GuardedWatch(kc);
 * const informer = new ListWatch(path, watch, list, false);
 * watch.close(); // after informer.stop()
 */
import { Watch, type KubeConfig } from "@kubernetes/client-node";

type Params = Parameters<Watch["watch"]>;

/**
 * How long a watch may go without data before it is reconnected: longer than the API server's bookmark
 * interval (about 1 min), so bookmarks arrive before it.
 *
 * @example
 * expect(watch.requestTimeoutMs).toBe(WATCH_INACTIVITY_TIMEOUT_MS);
 */
export const WATCH_INACTIVITY_TIMEOUT_MS = 90_000;

/**
 * A `Watch` whose requests all end when it is closed (see the module notes).
 *
 * @example
 * const watch = new GuardedWatch(kc);
 * watch.close();
 */
export class GuardedWatch extends Watch {
  private readonly open = new Set<AbortController>();
  private closed = false;

  constructor(kc: KubeConfig) {
    super(kc);
    const self = this as unknown as { requestTimeoutMs?: unknown };
    if (typeof self.requestTimeoutMs === "number")
      self.requestTimeoutMs = WATCH_INACTIVITY_TIMEOUT_MS;
  }

  override async watch(
    path: Params[0],
    params: Params[1],
    callback: Params[2],
    done: Params[3],
  ): Promise<AbortController> {
    if (this.closed) return ended(done);
    let controller: AbortController | undefined;
    let finished = false;
    const onDone = (error: unknown) => {
      finished = true;
      if (controller) this.open.delete(controller);
      done(error);
    };
    try {
      const withBookmarks = { ...params, allowWatchBookmarks: true };
      controller = await super.watch(path, withBookmarks, callback, onDone);
    } catch (error) {
      return ended(done, error);
    }
    if (this.closed) controller.abort();
    else if (!finished) this.open.add(controller);
    return controller;
  }

  /** Aborts every open watch request and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const controller of this.open) controller.abort();
    this.open.clear();
  }
}

/** A request that never started: report the end (or the error) as a real one would, asynchronously. */
function ended(done: (error: unknown) => void, error: unknown = null): AbortController {
  const controller = new AbortController();
  controller.abort();
  queueMicrotask(() => done(error));
  return controller;
}
