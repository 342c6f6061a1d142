import { describe, expect, it } from "vitest";
import { objectKey, parseKey, refKey } from "./key.ts";

describe("object keys", () => {
  it.each([
    ["mcp/weather", { namespace: "mcp", name: "weather" }],
    ["strict", { name: "strict" }],
  ])("parse %s and make it again", (key, ref) => {
    expect(parseKey(key)).toEqual(ref);
    expect(refKey(ref)).toBe(key);
    expect(objectKey({ metadata: ref })).toBe(key);
  });

  it.each(["", "/name", "ns/", "a/b/c"])("reject the malformed key %j", (key) => {
    expect(() => parseKey(key)).toThrow(/`key` must be "name" or "namespace\/name"/);
  });

  it("need a name", () => {
    expect(() => objectKey({ metadata: { namespace: "mcp" } })).toThrow(/`obj.metadata.name`/);
  });
});
