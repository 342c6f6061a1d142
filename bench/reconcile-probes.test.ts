import { describe, expect, it } from "vitest";
import {
  LatenessTracker,
  apiCounts,
  apiDelta,
  parseMetrics,
  procSample,
  sumOf,
  totalWrites,
} from "./reconcile-probes.ts";

const apiText = (secrets: number, throttled = 0) =>
  [
    "# HELP apiserver_request_total Counter of apiserver requests",
    `apiserver_request_total{code="201",resource="secrets",subresource="",verb="POST"} ${secrets}`,
    `apiserver_request_total{code="200",resource="mcpservers",subresource="status",verb="APPLY"} 7`,
    `apiserver_request_total{code="200",resource="mcpservers",subresource="",verb="LIST"} 3`,
    `apiserver_request_total{code="429",resource="events",subresource="",verb="POST"} ${throttled}`,
    `apiserver_flowcontrol_rejected_requests_total{flow_schema="x",reason="queue-full"} ${throttled}`,
  ].join("\n");

describe("parseMetrics and sumOf", () => {
  const m = parseMetrics(
    'a_total{x="1",y="a"} 3\na_total{x="2",y="a"} 4\nb 1.5\n# TYPE c counter\nc{q="say \\"hi\\""} 2\n',
  );
  it.each([
    ["a_total", {}, 7],
    ["a_total", { x: "1" }, 3],
    ["a_total", { y: "a", x: "2" }, 4],
    ["a_total", { x: "3" }, 0],
    ["b", {}, 1.5],
    ["c", { q: 'say \\"hi\\"' }, 2],
  ])("sums %s %j to %s", (name, labels, total) => {
    expect(sumOf(m, name, labels)).toBe(total);
  });
});

describe("apiCounts and apiDelta", () => {
  it("counts writes by verb and resource, 429s and flow-control rejections", () => {
    const c = apiCounts(parseMetrics(apiText(5, 2)));
    expect(Object.fromEntries(c.writes)).toEqual({
      "POST secrets": 5,
      "APPLY mcpservers/status": 7,
      "POST events": 2,
    });
    expect([c.throttled, c.apfRejected, c.all]).toEqual([2, 2, 17]);
  });

  it("keeps what changed between two readings", () => {
    const d = apiDelta(apiCounts(parseMetrics(apiText(5))), apiCounts(parseMetrics(apiText(9, 1))));
    expect(Object.fromEntries(d.writes)).toEqual({ "POST secrets": 4, "POST events": 1 });
    expect([totalWrites(d), d.throttled, d.apfRejected]).toEqual([5, 1, 1]);
  });
});

describe("LatenessTracker", () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const t = (s: number) => Date.parse(at(s));

  it("times a rotation against the nextRotationTime shown before it", () => {
    const tracker = new LatenessTracker();
    tracker.observe("ns/a", { lastRotationTime: at(0), nextRotationTime: at(60) }, t(1));
    // A status change that is not a rotation (same activation time) is no rotation.
    tracker.observe("ns/a", { lastRotationTime: at(0), nextRotationTime: at(60) }, t(30));
    tracker.observe("ns/a", { lastRotationTime: at(61), nextRotationTime: at(121) }, t(62));
    expect(tracker.rotations).toEqual([
      { key: "ns/a", due: t(60), decidedMs: 1000, visibleMs: 2000 },
    ]);
  });

  it("ignores servers without keys and the first status seen", () => {
    const tracker = new LatenessTracker();
    tracker.observe("ns/a", undefined, t(0));
    tracker.observe("ns/a", { lastRotationTime: at(0) }, t(0));
    tracker.observe("ns/b", { lastRotationTime: at(5), nextRotationTime: at(65) }, t(6));
    expect(tracker.rotations).toEqual([]);
  });

  it("selects rotations by when they were due, and the latest first", () => {
    const tracker = new LatenessTracker();
    for (const [key, late] of [
      ["ns/a", 1],
      ["ns/b", 3],
      ["ns/c", 2],
    ] as const) {
      tracker.observe(key, { lastRotationTime: at(0), nextRotationTime: at(60) }, t(0));
      tracker.observe(
        key,
        { lastRotationTime: at(60 + late), nextRotationTime: at(120) },
        t(61 + late),
      );
    }
    expect(tracker.scheduledIn(t(0), t(59))).toEqual([]);
    expect(tracker.latest(t(0), t(60), 2).map((r) => r.key)).toEqual(["ns/b", "ns/c"]);
  });
});

describe("procSample", () => {
  it("reads this process's memory and CPU time, and nothing for a process that is gone", () => {
    const me = procSample(process.pid)!;
    expect(me.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(me.cpuSeconds).toBeGreaterThan(0);
    expect(procSample(2 ** 22 + 1)).toBeUndefined();
  });
});
