import { describe, expect, it } from "vitest";
import {
  CBOM_AUDIENCE,
  CBOM_REFUSAL_STATUS,
  accessReviewSpec,
  callerOf,
  cbomResult,
  isAllowed,
  type CbomRefusal,
} from "./access.ts";

const user = {
  username: "system:serviceaccount:tools:scanner",
  uid: "u-1",
  groups: ["system:serviceaccounts", "system:authenticated"],
  extra: { "authentication.kubernetes.io/pod-name": ["scanner-0"] },
};

describe("callerOf", () => {
  it.each([
    { what: "an unauthenticated token", status: { authenticated: false }, reason: "InvalidToken" },
    { what: "no status at all", status: undefined, reason: "InvalidToken" },
    {
      what: "an authenticated token without a user",
      status: { authenticated: true, audiences: [CBOM_AUDIENCE] },
      reason: "InvalidToken",
    },
    {
      what: "the API server's audience",
      status: { authenticated: true, audiences: ["https://kubernetes.default.svc"], user },
      reason: "WrongAudience",
    },
    {
      what: "the issuance API's audience",
      status: { authenticated: true, audiences: ["latticeguard.dev/identity"], user },
      reason: "WrongAudience",
    },
  ])("refuses $what ($reason)", ({ status, reason }) => {
    expect(callerOf(status, CBOM_AUDIENCE)).toMatchObject({ ok: false, reason });
  });

  it.each([
    {
      what: "a service account",
      status: { authenticated: true, audiences: [CBOM_AUDIENCE], user },
      caller: user,
    },
    {
      what: "a person with no groups, uid or extra",
      status: {
        authenticated: true,
        audiences: ["other", CBOM_AUDIENCE],
        user: { username: "alice@example.com" },
      },
      caller: { username: "alice@example.com", groups: [] },
    },
  ])("names $what", ({ status, caller }) => {
    expect(callerOf(status, CBOM_AUDIENCE)).toEqual({ ok: true, caller });
  });
});

describe("accessReviewSpec", () => {
  it("asks whether the caller, as the API server knows it, may list CryptoPolicies", () => {
    expect(accessReviewSpec(user)).toEqual({
      user: user.username,
      uid: "u-1",
      groups: user.groups,
      extra: user.extra,
      resourceAttributes: { group: "latticeguard.dev", resource: "cryptopolicies", verb: "list" },
    });
    expect(accessReviewSpec({ username: "bob", groups: [] })).toEqual({
      user: "bob",
      groups: [],
      resourceAttributes: { group: "latticeguard.dev", resource: "cryptopolicies", verb: "list" },
    });
  });
});

describe("isAllowed", () => {
  it.each([
    [{ allowed: true }, true],
    [{ allowed: true, denied: true }, false],
    [{ allowed: false }, false],
    [{ allowed: false, denied: false, reason: "no RBAC rule" }, false],
    [undefined, false],
  ])("%j: %s", (status, allowed) => expect(isAllowed(status)).toBe(allowed));
});

describe("cbomResult", () => {
  it.each<[CbomRefusal | undefined, string, number | undefined]>([
    [undefined, "served", undefined],
    ["MissingToken", "unauthenticated", 401],
    ["MalformedToken", "unauthenticated", 401],
    ["InvalidToken", "unauthenticated", 401],
    ["WrongAudience", "unauthenticated", 401],
    ["Forbidden", "forbidden", 403],
    ["RateLimited", "rate_limited", 429],
    ["Overloaded", "overloaded", 503],
    ["Unavailable", "unavailable", 503],
    ["InternalError", "error", 500],
  ])("%s is counted as %s (HTTP %s)", (refusal, result, status) => {
    expect(cbomResult(refusal)).toBe(result);
    if (refusal) expect(CBOM_REFUSAL_STATUS[refusal]).toBe(status);
  });
});
