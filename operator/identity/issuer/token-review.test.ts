import type { V1TokenReviewStatus } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { bearerToken, interpretReview } from "./token-review.ts";

const AUD = "latticeguard.dev/identity";
const good: V1TokenReviewStatus = {
  authenticated: true,
  audiences: [AUD],
  user: {
    username: "system:serviceaccount:mcp:weather",
    extra: {
      "authentication.kubernetes.io/pod-name": ["weather-0"],
      "authentication.kubernetes.io/pod-uid": ["0c3b6c4e-1111-2222-3333-444455556666"],
    },
  },
};

describe("bearerToken", () => {
  it.each([
    [undefined, "MissingToken"],
    ["", "MissingToken"],
    ["Basic abc", "MalformedToken"],
    ["Bearer not-a-jwt", "MalformedToken"],
    ["Bearer a.b.c d", "MalformedToken"],
    [`Bearer ${"a".repeat(20_000)}.b.c`, "MalformedToken"],
  ])("refuses %j as %s", (header, reason) => {
    expect(bearerToken(header)).toMatchObject({ ok: false, reason });
  });

  it("takes a well-formed token", () => {
    expect(bearerToken("Bearer aaa.bbb.ccc")).toEqual({ token: "aaa.bbb.ccc" });
  });
});

describe("interpretReview", () => {
  it("names the pod a good token speaks for", () => {
    expect(interpretReview(good, AUD)).toEqual({
      ok: true,
      pod: {
        namespace: "mcp",
        serviceAccount: "weather",
        name: "weather-0",
        uid: "0c3b6c4e-1111-2222-3333-444455556666",
      },
    });
  });

  it.each<[string, V1TokenReviewStatus | undefined, string]>([
    ["no status", undefined, "InvalidToken"],
    ["an unauthenticated token", { ...good, authenticated: false }, "InvalidToken"],
    [
      "another audience",
      { ...good, audiences: ["https://kubernetes.default.svc"] },
      "WrongAudience",
    ],
    ["a user token", { ...good, user: { ...good.user, username: "alice" } }, "NotServiceAccount"],
    [
      "a token with no pod binding",
      { ...good, user: { username: good.user!.username, extra: {} } },
      "NotBoundToPod",
    ],
    [
      "a token bound to a pod without its uid",
      {
        ...good,
        user: {
          username: good.user!.username,
          extra: { "authentication.kubernetes.io/pod-name": ["p"] },
        },
      },
      "NotBoundToPod",
    ],
  ])("refuses %s", (_what, status, reason) => {
    expect(interpretReview(status, AUD)).toMatchObject({ ok: false, reason });
  });
});
