import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  it.each([
    ["90s", 90_000],
    ["15m", 900_000],
    ["24h", 86_400_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["250ms", 250],
    ["0s", 0],
    ["1500us", 1.5],
  ])("parses %s as %d ms", (text, ms) => {
    expect(parseDuration(text, "spec.x")).toBe(ms);
  });

  it.each(["", "7 days", "1d", "h", "-1h", "1h ", "1.h"])(
    "rejects %j, naming the field",
    (text) => {
      expect(() => parseDuration(text, "spec.kem.rotationPeriod")).toThrow(
        /^spec\.kem\.rotationPeriod: .* is not a duration/,
      );
    },
  );
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [250, "250ms"],
    [90_000, "1m30s"],
    [5_400_000, "1h30m"],
    [86_400_000, "24h"],
  ])("formats %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text, "x")).toBe(ms);
  });
});
