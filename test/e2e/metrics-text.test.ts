import { describe, expect, it } from "vitest";
import { sumSamples } from "./metrics-text.ts";

const EXPOSITION = `# HELP latticeguard_kem_rotations_total KEM key activations, by reason.
# TYPE latticeguard_kem_rotations_total counter
latticeguard_kem_rotations_total{namespace="mcp-demo",mcpserver="weather",algorithm="ML-KEM-768",reason="Initial"} 1
latticeguard_kem_rotations_total{namespace="mcp-demo",mcpserver="weather",algorithm="ML-KEM-768",reason="Scheduled"} 3
latticeguard_kem_rotations_total{namespace="mcp-demo",mcpserver="search",algorithm="X-Wing",reason="Scheduled"} 2
latticeguard_kem_rotations_total_extra{reason="Scheduled"} 100
latticeguard_leader 1
latticeguard_odd{message="a \\"quoted\\" value, reason=\\"Scheduled\\""} 7
`;

describe("sumSamples", () => {
  it.each([
    ["every series of a metric", "latticeguard_kem_rotations_total", {}, 6],
    ["series with a label value", "latticeguard_kem_rotations_total", { reason: "Scheduled" }, 5],
    [
      "series with several label values",
      "latticeguard_kem_rotations_total",
      { reason: "Scheduled", mcpserver: "search" },
      2,
    ],
    [
      "no series when a label value differs",
      "latticeguard_kem_rotations_total",
      { reason: "Lockdown" },
      0,
    ],
    ["a metric without labels", "latticeguard_leader", {}, 1],
    ["no metric of another name", "latticeguard_kem_rotations", {}, 0],
    ["no label read from inside a quoted value", "latticeguard_odd", { reason: "Scheduled" }, 0],
    [
      "an escaped label value",
      "latticeguard_odd",
      { message: 'a "quoted" value, reason="Scheduled"' },
      7,
    ],
  ])("sums %s", (_, name, labels, expected) => {
    expect(sumSamples(EXPOSITION, name, labels)).toBe(expected);
  });
});
