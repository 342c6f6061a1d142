import { describe, expect, it } from "vitest";
import { cacheOf } from "./cache.ts";

const obj = (namespace: string | undefined, name: string) => ({ metadata: { namespace, name } });

describe("cacheOf", () => {
  const objects = [obj("a", "x"), obj("a", "y"), obj("b", "x"), obj(undefined, "cluster-wide")];
  const cache = cacheOf(objects);

  it.each([
    ["a/x", objects[0]],
    ["b/x", objects[2]],
    ["cluster-wide", objects[3]],
    ["c/x", undefined],
  ])("gets %s by key", (key, expected) => {
    expect(cache.get(key)).toBe(expected);
  });

  it.each([
    ["a", ["x", "y"]],
    ["b", ["x"]],
    ["c", []],
  ])("lists namespace %s alone", (namespace, names) => {
    expect(cache.inNamespace(namespace).map((o) => o.metadata.name)).toEqual(names);
  });

  it("lists everything, and hands out copies of its lists", () => {
    expect(cache.list()).toHaveLength(4);
    cache.inNamespace("a").pop();
    cache.list().pop();
    expect([cache.inNamespace("a").length, cache.list().length]).toEqual([2, 4]);
  });
});
