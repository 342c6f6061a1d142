import type { V1Namespace, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { CryptoPolicy } from "../api/types.generated.ts";
import type { EventRecorder } from "../events.ts";
import type { Writer } from "../kube/apply.ts";
import { cacheOf } from "../kube/cache.ts";
import { logger } from "../log.ts";
import { createMetrics } from "../metrics.ts";
import { cryptoPolicy } from "../policy/testing.ts";
import { container, mcpServer } from "../../webhook/testing/fixtures.ts";
import type { ShadowCandidate } from "./classify.ts";
import { ShadowLedger } from "./gauge.ts";
import type { ProbeLookup } from "./prober.ts";
import {
  PENDING_RECHECK_MS,
  SHADOW_FIELD_MANAGER,
  decideShadows,
  shadowReconciler,
} from "./reconcile.ts";

const NOW = Date.parse("2030-01-01T00:00:00Z");
const candidate: ShadowCandidate = {
  kind: "Pod",
  namespace: "shop",
  name: "web-0",
  uid: "u",
  port: 8080,
  reason: "PortName",
  message: "m",
  target: { host: "10.0.0.1", port: 8080, uid: "u" },
};

describe("decideShadows", () => {
  it.each<[string, boolean, ProbeLookup | undefined, string, number | undefined]>([
    ["probing off", false, undefined, "suspected", undefined],
    [
      "probing off, even if it once answered",
      false,
      { answered: true, pending: false },
      "suspected",
      undefined,
    ],
    ["a probe pending", true, { pending: true }, "suspected", PENDING_RECHECK_MS],
    [
      "answered",
      true,
      { answered: true, pending: false, staleAt: NOW + 60_000 },
      "confirmed",
      60_000,
    ],
    [
      "not answered",
      true,
      { answered: false, pending: false, staleAt: NOW + 5000 },
      "suspected",
      5000,
    ],
    [
      "answered, re-probing",
      true,
      { answered: true, pending: true },
      "confirmed",
      PENDING_RECHECK_MS,
    ],
    ["no target to probe", true, undefined, "suspected", undefined],
  ])("%s", (_what, probing, probe, state, requeueAfter) => {
    const { judged, requeueAfter: after } = decideShadows(
      [{ candidate, probing, ...(probe && { probe }) }],
      NOW,
    );
    expect(judged[0]?.state).toBe(state);
    expect(after).toBe(requeueAfter);
  });

  it("carries how a confirmed one answered, and forgets it when probing is off", () => {
    const probe = { answered: true, answer: { scheme: "https" as const }, pending: false };
    expect(decideShadows([{ candidate, probing: true, probe }], NOW).judged[0]?.answer).toEqual({
      scheme: "https",
    });
    expect(decideShadows([{ candidate, probing: false, probe }], NOW).judged[0]).not.toHaveProperty(
      "answer",
    );
  });
});

const ns = (name: string, labels: Record<string, string> = {}): V1Namespace => ({
  metadata: { name, labels },
});
const pod = (name: string, app: string): V1Pod => ({
  metadata: { name, namespace: "shop", uid: `uid-${name}`, labels: { app } },
  spec: { containers: [container("web", ["mcp"])] },
  status: { podIP: "10.0.0.1" },
});

function harness(policies: CryptoPolicy[], pods: V1Pod[], answered = true) {
  const writes: { name: string; status: object; manager?: string }[] = [];
  const events: { name: string; reason: string; message: string }[] = [];
  const writer = {
    applyStatus: (obj, _plural, status, manager) => {
      writes.push({ name: obj.metadata.name, status, ...(manager && { manager }) });
      return Promise.resolve();
    },
  } as Pick<Writer, "applyStatus"> as Writer;
  const recorder: EventRecorder = {
    record: (obj, _type, reason, message) => {
      events.push({ name: obj.metadata?.name ?? "", reason, message });
      return Promise.resolve();
    },
  };
  const metrics = createMetrics({ processMetrics: false });
  // Read live, so a test can delete a policy between reconciles.
  const policyCache = {
    get: (key: string) => policies.find((p) => p.metadata.name === key),
    list: () => [...policies],
  };
  const reconcile = shadowReconciler({
    policies: policyCache,
    namespaces: cacheOf([ns("shop", { team: "shop" }), ns("other")]),
    servers: cacheOf([mcpServer("shop", "weather", { app: "weather" })]),
    pods: cacheOf(pods),
    services: cacheOf([]),
    prober: { lookup: () => ({ answered, pending: false, staleAt: NOW + 60_000 }) },
    ledger: new ShadowLedger(metrics.shadowServers),
    writer,
    events: recorder,
    now: () => NOW,
    log: logger,
  });
  return { reconcile, writes, events, metrics };
}

describe("shadowReconciler", () => {
  const probing = cryptoPolicy("baseline", { discovery: { probe: true } });

  it("writes status.shadowServers under its own field manager, confirmed where probing is on", async () => {
    const h = harness([probing], [pod("web-0", "web"), pod("weather-0", "weather")]);
    expect(await h.reconcile("baseline")).toEqual({ requeueAfter: 60_000 });
    expect(h.writes).toEqual([
      {
        name: "baseline",
        manager: SHADOW_FIELD_MANAGER,
        status: {
          shadowServers: {
            count: 1,
            suspected: 0,
            confirmed: 1,
            servers: [expect.objectContaining({ name: "web-0", state: "confirmed" })],
          },
        },
      },
    ]);
    const values = (await h.metrics.shadowServers.get()).values;
    expect(values).toEqual([{ labels: { namespace: "shop", state: "confirmed" }, value: 1 }]);
  });

  it("turns probing on where another policy of the namespace asks for it", async () => {
    const quiet = cryptoPolicy("quiet", { namespaceSelector: { matchLabels: { team: "shop" } } });
    const h = harness([quiet, probing], [pod("web-0", "web")]);
    await h.reconcile("quiet");
    expect(h.writes[0]?.status).toMatchObject({ shadowServers: { confirmed: 1 } });
  });

  it("leaves everything suspected without probing, and asks for no requeue", async () => {
    const h = harness([cryptoPolicy("baseline")], [pod("web-0", "web")]);
    expect(await h.reconcile("baseline")).toBeUndefined();
    expect(h.writes[0]?.status).toMatchObject({ shadowServers: { suspected: 1, confirmed: 0 } });
  });

  it("records one Event per discovery, not one per reconcile", async () => {
    const h = harness([probing], [pod("web-0", "web")]);
    await h.reconcile("baseline");
    await h.reconcile("baseline");
    expect(h.events.map((e) => [e.name, e.reason])).toEqual([["web-0", "ShadowMCPServer"]]);
    expect(h.events[0]?.message).toMatch(/answered MCP initialize/);
  });

  it("writes nothing and records nothing the status already says", async () => {
    const first = harness([probing], [pod("web-0", "web")]);
    await first.reconcile("baseline");
    const written = first.writes[0]!.status as CryptoPolicy["status"];
    const settled = { ...probing, status: written };
    const h = harness([settled], [pod("web-0", "web")]);
    await h.reconcile("baseline");
    expect(h.writes).toEqual([]);
    expect(h.events).toEqual([]);
  });

  it("forgets a deleted policy's namespaces in the gauge", async () => {
    const policies = [probing];
    const h = harness(policies, [pod("web-0", "web")]);
    await h.reconcile("baseline");
    expect((await h.metrics.shadowServers.get()).values).toHaveLength(1);
    policies.pop();
    await h.reconcile("baseline");
    expect((await h.metrics.shadowServers.get()).values).toEqual([]);
  });
});
