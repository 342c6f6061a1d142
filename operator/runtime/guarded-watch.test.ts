import { KubeConfig, Watch } from "@kubernetes/client-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { settle } from "./clock.ts";
import { GuardedWatch, WATCH_INACTIVITY_TIMEOUT_MS } from "./guarded-watch.ts";

const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: "c", server: "https://127.0.0.1:1" }],
  users: [{ name: "u" }],
  contexts: [{ name: "x", cluster: "c", user: "u" }],
  currentContext: "x",
});

/** Stands in for client-node's HTTP watch: records each request and returns its AbortController. */
function stubWatch() {
  const requests: { params: Record<string, unknown>; controller: AbortController }[] = [];
  const spy = vi.spyOn(Watch.prototype, "watch").mockImplementation((_path, params) => {
    const controller = new AbortController();
    requests.push({ params, controller });
    return Promise.resolve(controller);
  });
  return { requests, spy };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("GuardedWatch", () => {
  it("relies on client-node's private inactivity timeout, and lengthens it", () => {
    // If client-node renames the field this fails, and WATCH_INACTIVITY_TIMEOUT_MS needs another way in.
    expect((new Watch(kc) as unknown as { requestTimeoutMs: unknown }).requestTimeoutMs).toBe(
      30_000,
    );
    const guarded = new GuardedWatch(kc) as unknown as { requestTimeoutMs: unknown };
    expect(guarded.requestTimeoutMs).toBe(WATCH_INACTIVITY_TIMEOUT_MS);
  });

  it("asks for bookmarks", async () => {
    const { requests } = stubWatch();
    await new GuardedWatch(kc).watch(
      "/api/v1/configmaps",
      { resourceVersion: "7" },
      vi.fn(),
      vi.fn(),
    );
    expect(requests[0]?.params).toEqual({ resourceVersion: "7", allowWatchBookmarks: true });
  });

  it("aborts open requests on close, and ends later ones before they start", async () => {
    const { requests } = stubWatch();
    const watch = new GuardedWatch(kc);
    const done = vi.fn();
    await watch.watch("/api/v1/configmaps", {}, vi.fn(), done);
    watch.close();
    expect(requests[0]?.controller.signal.aborted).toBe(true);
    const late = await watch.watch("/api/v1/configmaps", {}, vi.fn(), done);
    expect(late.signal.aborted).toBe(true);
    expect(requests).toHaveLength(1);
    await settle();
    expect(done).toHaveBeenCalledWith(null);
  });

  it("aborts a request that was connecting when it closed", async () => {
    let connect!: (controller: AbortController) => void;
    vi.spyOn(Watch.prototype, "watch").mockImplementation(
      () => new Promise((resolve) => (connect = resolve)),
    );
    const watch = new GuardedWatch(kc);
    const pending = watch.watch("/api/v1/configmaps", {}, vi.fn(), vi.fn());
    await settle();
    watch.close();
    const controller = new AbortController();
    connect(controller);
    await pending;
    expect(controller.signal.aborted).toBe(true);
  });

  it("reports a thrown error through done() instead of rejecting", async () => {
    vi.spyOn(Watch.prototype, "watch").mockRejectedValue(new Error("exec plugin failed"));
    const done = vi.fn();
    await expect(
      new GuardedWatch(kc).watch("/api/v1/pods", {}, vi.fn(), done),
    ).resolves.toBeDefined();
    await settle();
    expect(done).toHaveBeenCalledWith(new Error("exec plugin failed"));
  });
});
