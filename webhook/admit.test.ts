import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { createMetrics } from "../operator/metrics.ts";
import { admission, type ClusterViews } from "./admit.ts";
import { staticView } from "./cluster-view.ts";
import {
  admissionRequest,
  mcpServer,
  namespace,
  podBody,
  policy,
  workload,
} from "./testing/fixtures.ts";
import type { ClusterView, Validator, ViolationEvent } from "./types.ts";
import { VALIDATORS } from "./validators.ts";

const log = pino({ level: "silent" });
const NS = "shop";
const enforce = policy("enforce", { enforcement: "Enforce" });
const audit = policy("audit");
const weather = mcpServer(NS, "weather", { app: "weather" });
const view = (
  servers = [weather],
  policies = [enforce],
  namespaces = [namespace(NS)],
): ClusterView => staticView({ namespaces, policies, servers });
const compliant = workload(
  "Pod",
  "web",
  NS,
  podBody({
    labels: { app: "weather" },
    annotations: { "latticeguard.dev/transport": "X25519MLKEM768" },
  }),
);
const uncovered = workload(
  "Pod",
  "web",
  NS,
  podBody({
    labels: { app: "other" },
    annotations: { "latticeguard.dev/transport": "X25519MLKEM768" },
  }),
);

function setup(
  options: {
    cached?: ClusterView;
    fresh?: () => Promise<ClusterView>;
    validators?: Record<string, Validator>;
  } = {},
) {
  const metrics = createMetrics({ processMetrics: false });
  const events: ViolationEvent[] = [];
  const fresh = vi.fn(options.fresh ?? (() => Promise.resolve(view())));
  const views: ClusterViews = { cached: () => options.cached ?? view(), fresh };
  const handle = admission({
    validators: options.validators ?? VALIDATORS,
    views,
    metrics,
    log,
    events: { record: (e) => events.push(e) },
  });
  const count = async (labels: Record<string, string>) => {
    const values = (await metrics.admissionReviews.get()).values;
    return values
      .filter((v) =>
        Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
      )
      .reduce((n, v) => n + v.value, 0);
  };
  return { handle, fresh, events, count, metrics };
}

describe("admission", () => {
  it("admits a compliant pod from the cache alone, echoing the uid", async () => {
    const { handle, fresh, count } = setup();
    const request = admissionRequest(compliant);
    expect(await handle(request)).toEqual({ uid: request.uid, allowed: true });
    expect(fresh).not.toHaveBeenCalled();
    expect(await count({ resource: "pods", decision: "allowed", mode: "Enforce" })).toBe(1);
  });

  it("denies with 422 once a fresh view confirms the violation", async () => {
    const { handle, fresh, count } = setup({
      cached: view([]),
      fresh: () => Promise.resolve(view([])),
    });
    const response = await handle(admissionRequest(uncovered));
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(422);
    expect(response.status?.details?.causes.map((c) => c.field)).toEqual(["metadata.labels"]);
    expect(fresh).toHaveBeenCalledWith(NS);
    expect(await count({ decision: "denied", mode: "Enforce" })).toBe(1);
  });

  it("admits when the fresh view shows what the cache had not seen yet (an MCPServer just created)", async () => {
    const { handle } = setup({
      cached: view([]),
      fresh: () => Promise.resolve(view([mcpServer(NS, "other", { app: "other" })])),
    });
    expect((await handle(admissionRequest(uncovered))).allowed).toBe(true);
  });

  it("keeps the denial when the fresh read fails", async () => {
    const { handle } = setup({
      cached: view([]),
      fresh: () => Promise.reject(new Error("API down")),
    });
    expect((await handle(admissionRequest(uncovered))).status?.code).toBe(422);
  });

  it("reads a namespace missing from the cache before deciding", async () => {
    const { handle, fresh } = setup({ cached: view([weather], [enforce], []) });
    expect((await handle(admissionRequest(compliant))).allowed).toBe(true);
    expect(fresh).toHaveBeenCalledTimes(1);
  });

  it("denies (fail closed) when the namespace cannot be read", async () => {
    const { handle, count } = setup({
      cached: view([weather], [enforce], []),
      fresh: () => Promise.reject(new Error("timeout")),
    });
    const response = await handle(admissionRequest(compliant));
    expect(response).toMatchObject({
      allowed: false,
      status: { code: 500, reason: "InternalError" },
    });
    expect(response.status?.message).toContain("timeout");
    expect(await count({ decision: "error" })).toBe(1);
  });

  it("denies (fail closed) when a validator throws", async () => {
    const throwing: Validator = () => {
      throw new TypeError("Cannot read properties of undefined");
    };
    const { handle } = setup({ validators: { "v1/Pod": throwing } });
    const request = admissionRequest(compliant);
    expect(await handle(request)).toEqual({
      uid: request.uid,
      allowed: false,
      status: {
        status: "Failure",
        code: 500,
        reason: "InternalError",
        message:
          "LatticeGuard could not validate the request and denies it (fail closed): Cannot read properties of undefined",
      },
    });
  });

  it("admits kinds it has no validator for, and subresources", async () => {
    const validate = vi.fn<Validator>(() => ({
      errors: [{ field: "x", message: "y" }],
      warnings: [],
    }));
    const { handle } = setup({ validators: { "v1/Pod": validate } });
    const configMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: NS },
    };
    expect((await handle(admissionRequest(configMap))).allowed).toBe(true);
    expect(
      (await handle({ ...admissionRequest(compliant), subResource: "ephemeralcontainers" }))
        .allowed,
    ).toBe(true);
    expect(validate).not.toHaveBeenCalled();
  });

  it("records Events for admitted violations, but not on dry runs", async () => {
    const { handle, events, count } = setup({ cached: view([], [audit]) });
    const request = admissionRequest(uncovered);
    const response = await handle({ ...request, dryRun: true });
    expect(response.auditAnnotations?.violation).toContain("no MCPServer");
    expect(events).toEqual([]);
    await handle(request);
    expect(events).toHaveLength(1);
    expect(events[0]?.target.kind).toBe("Namespace");
    expect(await count({ decision: "admitted_violation", mode: "Audit" })).toBe(2);
  });

  it("times every review by resource", async () => {
    const { handle, metrics } = setup();
    await handle(admissionRequest(compliant));
    const deployment = workload(
      "Deployment",
      "d",
      NS,
      podBody({
        labels: { app: "weather" },
        annotations: { "latticeguard.dev/transport": "X25519MLKEM768" },
      }),
    );
    await handle(admissionRequest(deployment));
    const counts = (await metrics.admissionDuration.get()).values.filter((v) =>
      v.metricName?.endsWith("_count"),
    );
    expect(counts.map((v) => [v.labels.webhook, v.labels.resource, v.value])).toEqual([
      ["validate", "pods", 1],
      ["validate", "deployments", 1],
    ]);
  });

  it("counts how admitted pods have post-quantum transport: a claim, or LatticeGuard's proxy", async () => {
    const sidecar = mcpServer(NS, "weather", { app: "weather" }, { proxy: { mode: "Sidecar" } });
    const metrics = createMetrics({ processMetrics: false });
    const cached = view([sidecar]);
    const handle = admission({
      validators: VALIDATORS,
      views: { cached: () => cached, fresh: () => Promise.resolve(cached) },
      injection: {
        proxyImage: "ghcr.io/latticeguard/latticeguard:0.1.0",
        issuerUrl: "https://latticeguard-issuer.latticeguard-system.svc:8443",
        bundleConfigMap: "latticeguard-trust-bundle",
      },
      metrics,
      log,
    });
    const template = podBody({ labels: { app: "weather" } });
    await handle(admissionRequest(workload("Deployment", "d", NS, template)));
    await handle(admissionRequest(compliant));
    await handle(admissionRequest(workload("Pod", "bare", NS, template)));
    const values = (await metrics.admissionReviews.get()).values;
    expect(values.map((v) => [v.labels.resource, v.labels.decision, v.labels.transport])).toEqual([
      ["deployments", "allowed", "sidecar"],
      ["pods", "allowed", "claim"],
      ["pods", "denied", "none"],
    ]);
  });
});
