import { describe, expect, it } from "vitest";
import { createMetrics } from "../metrics.ts";
import { ShadowLedger } from "./gauge.ts";

function series() {
  const metrics = createMetrics({ processMetrics: false });
  const ledger = new ShadowLedger(metrics.shadowServers);
  const read = async () =>
    (await metrics.shadowServers.get()).values.map(
      (v) => `${v.labels.namespace}/${v.labels.state}=${v.value}`,
    );
  return { ledger, read };
}

describe("ShadowLedger", () => {
  it("exports the non-zero counts of each namespace", async () => {
    const { ledger, read } = series();
    ledger.report("p", new Map([["a", { suspected: 2, confirmed: 0 }]]));
    expect(await read()).toEqual(["a/suspected=2"]);
  });

  it("lets the latest report of a namespace win, zero included", async () => {
    const { ledger, read } = series();
    ledger.report("p", new Map([["a", { suspected: 1, confirmed: 0 }]]));
    ledger.report("q", new Map([["a", { suspected: 0, confirmed: 0 }]]));
    expect(await read()).toEqual([]);
  });

  it("drops what only a forgotten policy reported", async () => {
    const { ledger, read } = series();
    ledger.report("p", new Map([["a", { suspected: 1, confirmed: 1 }]]));
    ledger.report("q", new Map([["b", { suspected: 1, confirmed: 0 }]]));
    ledger.forget("p");
    expect(await read()).toEqual(["b/suspected=1"]);
  });
});
