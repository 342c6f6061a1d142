// The handler's chain runs against the real API server in test/integration/identity-*.test.ts; here only
// its pure helper for wording a refused token.
import { describe, expect, it } from "vitest";
import { unverifiedAudiences } from "./issuer-handle.ts";

const jwt = (payload: unknown) =>
  `e30.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.c2ln`;

describe("unverifiedAudiences", () => {
  it.each<[string, string, string[] | undefined]>([
    ["a list", jwt({ aud: ["a", "b"] }), ["a", "b"]],
    ["a single string", jwt({ aud: "a" }), ["a"]],
    ["no aud claim", jwt({ sub: "x" }), undefined],
    ["a non-string audience", jwt({ aud: [1] }), undefined],
    ["a payload that is not JSON", "e30.bm90LWpzb24.c2ln", undefined],
    ["no payload segment", "e30", undefined],
  ])("reads %s", (_name, token, expected) => {
    expect(unverifiedAudiences(token)).toEqual(expected);
  });
});
