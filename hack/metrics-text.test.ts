import { describe, expect, it } from "vitest";
import { sampleSum } from "./metrics-text.ts";

const TEXT = [
  "# HELP latticeguard_proxy_requests_total Requests proxied.",
  "# TYPE latticeguard_proxy_requests_total counter",
  'latticeguard_proxy_requests_total{code="200",direction="inbound"} 3',
  'latticeguard_proxy_requests_total{code="502",direction="inbound"} 1',
  "latticeguard_proxy_up 1",
  'latticeguard_proxy_requests_total_other{code="200"} 9',
].join("\n");

describe("sampleSum", () => {
  it.each([
    ["every series of the name", "latticeguard_proxy_requests_total", {}, 4],
    ["the series whose labels match", "latticeguard_proxy_requests_total", { code: "200" }, 3],
    ["a sample without labels", "latticeguard_proxy_up", {}, 1],
    ["nothing for a label no series has", "latticeguard_proxy_up", { code: "200" }, 0],
    ["nothing for a missing name", "latticeguard_proxy_refused_total", {}, 0],
  ])("sums %s", (_what, name, labels: Record<string, string>, want) => {
    expect(sampleSum(TEXT, name, labels)).toBe(want);
  });
});
