import { describe, expect, it } from "vitest";
import { latestWins } from "./status.ts";

/** A write the test finishes by hand. */
function writes() {
  const started: { key: string; value: number; finish: (ok?: boolean) => void }[] = [];
  const write = (key: string, value: number) =>
    new Promise<void>((resolve, reject) =>
      started.push({
        key,
        value,
        finish: (ok = true) => (ok ? resolve() : reject(new Error("no"))),
      }),
    );
  return { started, write };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("latestWins", () => {
  it("writes one value per key at a time, then only the latest that arrived meanwhile", async () => {
    const { started, write } = writes();
    const record = latestWins(write, () => undefined);
    for (let value = 1; value <= 100; value++) record("mcp/weather", value);
    await settle();
    expect(started.map((s) => s.value)).toEqual([1]);
    started[0]!.finish();
    await settle();
    expect(started.map((s) => s.value)).toEqual([1, 100]);
    started[1]!.finish();
    await settle();
    expect(started).toHaveLength(2);
  });

  it("writes different keys at once", async () => {
    const { started, write } = writes();
    const record = latestWins(write, () => undefined);
    record("a", 1);
    record("b", 2);
    await settle();
    expect(started.map((s) => `${s.key}=${s.value}`)).toEqual(["a=1", "b=2"]);
  });

  it("reports a failed write and still writes the value that waited", async () => {
    const { started, write } = writes();
    const failed: string[] = [];
    const record = latestWins(write, (key) => failed.push(key));
    record("a", 1);
    record("a", 2);
    await settle();
    started[0]!.finish(false);
    await settle();
    expect(failed).toEqual(["a"]);
    expect(started.map((s) => s.value)).toEqual([1, 2]);
  });

  it("survives a write that throws instead of rejecting", async () => {
    const failed: string[] = [];
    const record = latestWins(
      () => {
        throw new Error("sync");
      },
      (key) => failed.push(key),
    );
    record("a", 1);
    await settle();
    record("a", 2);
    await settle();
    expect(failed).toEqual(["a", "a"]);
  });
});
