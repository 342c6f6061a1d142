import type { AddressInfo } from "node:net";
import express from "express";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it, vi } from "vitest";
import { CBOM_AUDIENCE } from "./access.ts";
import {
  CBOM_PATH,
  SharedBuild,
  cbomHandler,
  cbomRoute,
  type CbomDeps,
  type CbomOutcome,
} from "./endpoint.ts";
import { createCbomMetrics } from "./metrics.ts";

const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzY2FubmVyIn0.c2lnbmF0dXJl";
const user = {
  username: "system:serviceaccount:tools:scanner",
  groups: ["system:serviceaccounts"],
};
const authenticated = { authenticated: true, audiences: [CBOM_AUDIENCE], user };

function deps(overrides: Partial<CbomDeps> = {}) {
  const calls = { review: [] as string[], access: [] as unknown[], build: 0 };
  const d: CbomDeps = {
    review: (token, audience) => (
      calls.review.push(`${token}:${audience}`),
      Promise.resolve(authenticated)
    ),
    access: (spec) => (calls.access.push(spec), Promise.resolve({ allowed: true })),
    build: () => (calls.build++, Promise.resolve('{"bomFormat":"CycloneDX"}')),
    ...overrides,
  };
  return { deps: d, calls };
}

describe("cbomHandler", () => {
  it("serves the CBOM to an authenticated, authorized caller", async () => {
    const { deps: d, calls } = deps();
    expect(await cbomHandler(d)(`Bearer ${TOKEN}`)).toEqual({
      ok: true,
      body: '{"bomFormat":"CycloneDX"}',
      caller: user.username,
    });
    expect(calls.review).toEqual([`${TOKEN}:${CBOM_AUDIENCE}`]);
    expect(calls.access).toEqual([
      {
        user: user.username,
        groups: user.groups,
        resourceAttributes: { group: "latticeguard.dev", resource: "cryptopolicies", verb: "list" },
      },
    ]);
  });

  it.each([
    { what: "no header", header: undefined, reason: "MissingToken", reviewed: 0 },
    {
      what: "a header that is not a bearer token",
      header: "Basic YWxpY2U6cHc=",
      reason: "MalformedToken",
      reviewed: 0,
    },
    {
      what: "a token that is not a JWT",
      header: "Bearer abc",
      reason: "MalformedToken",
      reviewed: 0,
    },
    {
      what: "a token the API server rejects",
      header: `Bearer ${TOKEN}`,
      overrides: { review: () => Promise.resolve({ authenticated: false }) },
      reason: "InvalidToken",
      reviewed: 0,
    },
    {
      what: "a token for another audience",
      header: `Bearer ${TOKEN}`,
      overrides: { review: () => Promise.resolve({ ...authenticated, audiences: ["api"] }) },
      reason: "WrongAudience",
      reviewed: 0,
    },
    {
      what: "a caller RBAC does not allow",
      header: `Bearer ${TOKEN}`,
      overrides: { access: () => Promise.resolve({ allowed: false }) },
      reason: "Forbidden",
      reviewed: 0,
      message: `"${user.username}" may not list cryptopolicies.latticeguard.dev`,
    },
    {
      what: "a TokenReview that fails",
      header: `Bearer ${TOKEN}`,
      overrides: { review: () => Promise.reject(new Error("timeout")) },
      reason: "Unavailable",
      reviewed: 0,
    },
    {
      what: "a SubjectAccessReview that fails",
      header: `Bearer ${TOKEN}`,
      overrides: { access: () => Promise.reject(new Error("503")) },
      reason: "Unavailable",
      reviewed: 0,
    },
    {
      what: "a build that fails",
      header: `Bearer ${TOKEN}`,
      overrides: { build: () => Promise.reject(new Error("list failed")) },
      reason: "InternalError",
      reviewed: 0,
    },
  ])(
    "refuses $what: $reason, and builds nothing it must not",
    async ({ header, overrides, reason, message }) => {
      const { deps: d, calls } = deps(overrides);
      const outcome = await cbomHandler(d)(header);
      expect(outcome).toMatchObject({ ok: false, reason, ...(message && { message }) });
      if (reason !== "InternalError") expect(calls.build).toBe(0);
      if (reason === "MissingToken" || reason === "MalformedToken")
        expect(calls.review).toEqual([]);
    },
  );
});

describe("SharedBuild", () => {
  it("shares a running build, reuses it for maxAgeMs, then builds again", async () => {
    let now = 0;
    let builds = 0;
    const shared = new SharedBuild(
      () => Promise.resolve(`cbom ${++builds}`),
      5_000,
      () => now,
    );
    expect(await Promise.all([shared.get(), shared.get()])).toEqual(["cbom 1", "cbom 1"]);
    now = 4_999;
    expect(await shared.get()).toBe("cbom 1");
    now = 5_000;
    expect(await shared.get()).toBe("cbom 2");
  });

  it("does not keep a failed build", async () => {
    let fail = true;
    const shared = new SharedBuild(
      () => (fail ? Promise.reject(new Error("no")) : Promise.resolve("ok")),
      5_000,
      () => 0,
    );
    await expect(shared.get()).rejects.toThrow("no");
    fail = false;
    expect(await shared.get()).toBe("ok");
  });

  it("names a bad maxAgeMs", () => {
    expect(() => new SharedBuild(() => Promise.resolve(""), -1)).toThrow(
      "`maxAgeMs` must be a number >= 0",
    );
  });
});

describe("cbomRoute", () => {
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
  const registry = new Registry();
  const metrics = createCbomMetrics(registry);
  let handle: (authorization: string | undefined) => Promise<CbomOutcome> = cbomHandler(
    deps().deps,
  );
  let now = 0;
  const route = cbomRoute({
    handle: (a) => handle(a),
    metrics,
    log,
    limits: { perSecond: 1, burst: 2, maxInFlight: 1 },
    now: () => now,
  });
  const app = express();
  app.get(route.path, (req, res) => route.handle(req, res));
  const server = app.listen(0, "127.0.0.1");
  afterAll(() => void server.close());
  const get = async (authorization?: string) => {
    await new Promise((resolve) =>
      server.listening ? resolve(undefined) : server.once("listening", resolve),
    );
    const { port } = server.address() as AddressInfo;
    return fetch(`http://127.0.0.1:${port}${CBOM_PATH}`, {
      headers: authorization ? { authorization } : {},
    });
  };
  const counted = async (result: string) =>
    (await registry.getSingleMetric("latticeguard_cbom_requests_total")!.get()).values.find(
      (v) => v.labels.result === result,
    )?.value;

  it("answers the CBOM as CycloneDX JSON, never cached, and counts it", async () => {
    now += 10_000;
    const res = await get(`Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(
      "application/vnd.cyclonedx+json; version=1.6; charset=utf-8",
    );
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toBe('{"bomFormat":"CycloneDX"}');
    expect(await counted("served")).toBe(1);
    expect(lines.some((l) => l.includes('"msg":"Served CBOM"') && l.includes(user.username))).toBe(
      true,
    );
  });

  it("answers a refusal with its status and reason, and never logs the token", async () => {
    now += 10_000;
    const res = await get("Bearer not-a-jwt");
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ reason: "MalformedToken" });
    expect(await counted("unauthenticated")).toBe(1);
    expect(lines.join("\n")).not.toContain(TOKEN);
  });

  it("limits each client, saying when to come back", async () => {
    now += 10_000;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(`Bearer ${TOKEN}`)).status);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await get(`Bearer ${TOKEN}`);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(await counted("rate_limited")).toBe(2);
  });

  it("decides a bounded number of requests at once", async () => {
    now += 10_000;
    let release!: () => void;
    handle = () =>
      new Promise((resolve) => (release = () => resolve({ ok: true, body: "{}", caller: "x" })));
    const first = get(`Bearer ${TOKEN}`);
    await vi.waitFor(() => expect(release).toBeDefined());
    const second = await get(`Bearer ${TOKEN}`);
    expect(second.status).toBe(503);
    expect(await second.json()).toMatchObject({ reason: "Overloaded" });
    release();
    expect((await first).status).toBe(200);
  });

  it("answers 500 when the handler throws", async () => {
    now += 10_000;
    handle = () => Promise.reject(new Error("bug"));
    const res = await get(`Bearer ${TOKEN}`);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ reason: "InternalError" });
    expect(await counted("error")).toBe(1);
  });
});
