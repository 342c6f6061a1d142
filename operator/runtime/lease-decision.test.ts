import { describe, expect, it } from "vitest";
import { decideLease, releasedRecord, type LeaseRecord } from "./lease-decision.ts";

const t = (seconds: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, seconds));
const record = (overrides: Partial<LeaseRecord>): LeaseRecord => ({
  holderIdentity: "other",
  leaseDurationSeconds: 60,
  acquireTime: t(0),
  renewTime: t(0),
  leaseTransitions: 3,
  ...overrides,
});

describe("decideLease", () => {
  // [what, current record, observed at (s), now (s), expected decision]
  const cases: [string, LeaseRecord | undefined, number, number, object][] = [
    [
      "creates a missing lease with no transitions",
      undefined,
      10,
      10,
      {
        kind: "acquire",
        record: record({
          holderIdentity: "me",
          acquireTime: t(10),
          renewTime: t(10),
          leaseTransitions: 0,
        }),
      },
    ],
    [
      "leaves a lease another holds until it expires",
      record({}),
      10,
      69,
      { kind: "held", holder: "other", expiresAt: t(70) },
    ],
    [
      "takes over a lease unchanged for its duration, counting a transition",
      record({}),
      10,
      70,
      {
        kind: "acquire",
        record: record({
          holderIdentity: "me",
          acquireTime: t(70),
          renewTime: t(70),
          leaseTransitions: 4,
        }),
      },
    ],
    [
      "judges expiry by when it saw the record, not by the holder's renewTime",
      record({ renewTime: t(-3600) }),
      10,
      30,
      { kind: "held", holder: "other", expiresAt: t(70) },
    ],
    [
      "honours the holder's lease duration, not its own",
      record({ leaseDurationSeconds: 15 }),
      10,
      25,
      {
        kind: "acquire",
        record: record({
          holderIdentity: "me",
          acquireTime: t(25),
          renewTime: t(25),
          leaseTransitions: 4,
        }),
      },
    ],
    [
      "takes a released lease at once",
      record({ holderIdentity: "", leaseDurationSeconds: 1 }),
      10,
      10,
      {
        kind: "acquire",
        record: record({
          holderIdentity: "me",
          acquireTime: t(10),
          renewTime: t(10),
          leaseTransitions: 4,
        }),
      },
    ],
    [
      "renews its own lease, keeping acquireTime and transitions",
      record({ holderIdentity: "me", acquireTime: t(5), renewTime: t(5) }),
      5,
      20,
      {
        kind: "renew",
        record: record({ holderIdentity: "me", acquireTime: t(5), renewTime: t(20) }),
      },
    ],
    [
      "renews its own lease even if it looks expired",
      record({ holderIdentity: "me", acquireTime: t(5), renewTime: t(5) }),
      5,
      500,
      {
        kind: "renew",
        record: record({ holderIdentity: "me", acquireTime: t(5), renewTime: t(500) }),
      },
    ],
  ];

  it.each(cases)("%s", (_what, current, observedAt, now, expected) => {
    const decision = decideLease({
      current,
      observedAt: t(observedAt),
      now: t(now),
      identity: "me",
      leaseDurationSeconds: 60,
    });
    expect(decision).toEqual(expected);
  });
});

describe("releasedRecord", () => {
  it("names no holder, lasts one second and keeps the transition count", () => {
    expect(releasedRecord(record({ holderIdentity: "me" }), t(9))).toEqual({
      holderIdentity: "",
      leaseDurationSeconds: 1,
      acquireTime: t(9),
      renewTime: t(9),
      leaseTransitions: 3,
    });
  });
});
