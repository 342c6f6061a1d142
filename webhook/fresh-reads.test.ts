import { describe, expect, it } from "vitest";
import { FreshReadsBusyError, sharedFreshReads } from "./fresh-reads.ts";
import type { ClusterView } from "./types.ts";

/** A read the test finishes by hand; each result names the read that produced it. */
function reads() {
  const started: { namespace: string; n: number; finish: (ok?: boolean) => void }[] = [];
  const read = (namespace: string) =>
    new Promise<ClusterView>((resolve, reject) => {
      const n = started.length + 1;
      started.push({
        namespace,
        n,
        finish: (ok = true) =>
          ok
            ? resolve({ read: n } as unknown as ClusterView)
            : reject(new Error(`read ${n} failed`)),
      });
    });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { started, read, settle };
}

const which = (view: ClusterView) => (view as unknown as { read: number }).read;

describe("sharedFreshReads", () => {
  it("serves requests that arrive during a read from the next read, one for all of them", async () => {
    const { started, read, settle } = reads();
    const fresh = sharedFreshReads(read);
    const first = fresh("shop");
    await settle();
    const later = [fresh("shop"), fresh("shop"), fresh("shop")];
    await settle();
    expect(started).toHaveLength(1);
    started[0]!.finish();
    await settle();
    expect(started.map((s) => s.n)).toEqual([1, 2]);
    started[1]!.finish();
    expect(which(await first)).toBe(1);
    expect((await Promise.all(later)).map(which)).toEqual([2, 2, 2]);
  });

  it("starts a new read for a request that arrives after the last one ended", async () => {
    const { started, read, settle } = reads();
    const fresh = sharedFreshReads(read);
    const first = fresh("shop");
    await settle();
    started[0]!.finish();
    await first;
    const second = fresh("shop");
    await settle();
    started[1]!.finish();
    expect(which(await second)).toBe(2);
  });

  it("reads different namespaces at once, up to the bound, and refuses one more at once", async () => {
    const { started, read, settle } = reads();
    const fresh = sharedFreshReads(read, 2);
    const a = fresh("a");
    const b = fresh("b");
    await expect(fresh("c")).rejects.toBeInstanceOf(FreshReadsBusyError);
    // Waiting on a namespace already being read is not one more.
    const aAgain = fresh("a");
    await settle();
    started[0]!.finish();
    await settle();
    // "a" is read again for the request that waited: still two namespaces at once.
    await expect(fresh("c")).rejects.toBeInstanceOf(FreshReadsBusyError);
    started[1]!.finish();
    started[2]!.finish();
    expect([which(await a), which(await b), which(await aAgain)]).toEqual([1, 2, 3]);
    const c = fresh("c");
    await settle();
    started[3]!.finish();
    expect(which(await c)).toBe(4);
  });

  it("gives a read's failure only to the requests it served; the waiting ones get the next read", async () => {
    const { started, read, settle } = reads();
    const fresh = sharedFreshReads(read);
    const first = fresh("shop");
    await settle();
    const waiting = fresh("shop");
    started[0]!.finish(false);
    await expect(first).rejects.toThrow("read 1 failed");
    await settle();
    started[1]!.finish();
    expect(which(await waiting)).toBe(2);
  });

  it("turns a read that throws synchronously into a rejection", async () => {
    const fresh = sharedFreshReads(() => {
      throw new TypeError("not a namespace name");
    });
    await expect(fresh("Bad")).rejects.toThrow("not a namespace name");
    await expect(fresh("Bad")).rejects.toThrow("not a namespace name");
  });

  it.each([0, -1, 2.5])("refuses a bound of %s", (max) => {
    expect(() => sharedFreshReads(() => Promise.reject(new Error()), max)).toThrow(
      "`maxNamespaces`",
    );
  });
});
