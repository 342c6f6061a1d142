import { describe, expect, it } from "vitest";
import type { EventRecorder } from "../operator/events.ts";
import { throttledEvents } from "./events.ts";

function recorder() {
  const recorded: { name: string | undefined; reason: string; type: string; message: string }[] =
    [];
  const r: EventRecorder = {
    record(object, type, reason, message) {
      recorded.push({ name: object.metadata?.name, type, reason, message });
      return Promise.resolve();
    },
  };
  return { r, recorded };
}
const target = { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } };

describe("throttledEvents", () => {
  it("records a PolicyViolation Warning once per key per window", () => {
    let now = 0;
    const { r, recorded } = recorder();
    const sink = throttledEvents(r, { windowMs: 1000, now: () => now });
    sink.record({ target, message: "m1", key: "k" });
    sink.record({ target, message: "m2", key: "k" });
    sink.record({ target, message: "m3", key: "other" });
    now = 999;
    sink.record({ target, message: "m4", key: "k" });
    now = 1000;
    sink.record({ target, message: "m5", key: "k" });
    expect(recorded).toEqual([
      { name: "shop", type: "Warning", reason: "PolicyViolation", message: "m1" },
      { name: "shop", type: "Warning", reason: "PolicyViolation", message: "m3" },
      { name: "shop", type: "Warning", reason: "PolicyViolation", message: "m5" },
    ]);
  });

  it("forgets the oldest keys beyond maxKeys", () => {
    const { r, recorded } = recorder();
    const sink = throttledEvents(r, { windowMs: 1000, maxKeys: 2, now: () => 0 });
    for (const key of ["a", "b", "c", "a"]) sink.record({ target, message: key, key });
    expect(recorded.map((e) => e.message)).toEqual(["a", "b", "c", "a"]);
  });
});
