import { describe, expect, it } from "vitest";
import { origin, summarise } from "./profile-top.ts";

describe("origin", () => {
  it.each([
    [
      "file:///r/node_modules/@kubernetes/client-node/dist/cache.js",
      "list",
      "@kubernetes/client-node",
    ],
    ["file:///r/node_modules/undici/lib/core/request.js", "Request", "undici"],
    ["node:internal/tls/wrap", "connect", "node:internal"],
    ["file:///r/operator/mcpserver/keyring.ts", "decodeKeyring", "operator/mcpserver/keyring.ts"],
    ["", "(garbage collector)", "(garbage collector)"],
    ["", "close", "(native)"],
  ])("%s %s comes from %s", (url, fn, expected) => {
    expect(origin(url, fn)).toBe(expected);
  });
});

describe("summarise", () => {
  // root → a → b; samples: b, b, a, (idle)
  const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 0 });
  const profile = {
    nodes: [
      { id: 1, callFrame: frame("(root)"), children: [2, 4] },
      { id: 2, callFrame: frame("a", "file:///r/operator/a.ts"), children: [3] },
      { id: 3, callFrame: frame("b", "file:///r/node_modules/x/b.js") },
      { id: 4, callFrame: frame("(idle)") },
    ],
    samples: [3, 3, 2, 4],
    timeDeltas: [1000, 1000, 2000, 4000],
  };

  it("adds self time to the sampled function and total time to every caller once", () => {
    const { functions, origins, totalMs } = summarise(profile);
    const byName = new Map(functions.map((f) => [f.name.split(" ")[0], f]));
    expect(totalMs).toBe(8);
    expect(byName.get("b")).toMatchObject({ selfMs: 2, totalMs: 2 });
    expect(byName.get("a")).toMatchObject({ selfMs: 2, totalMs: 4 });
    expect(Object.fromEntries(origins)).toEqual({ x: 2, "operator/a.ts": 2, "(idle)": 4 });
  });
});
