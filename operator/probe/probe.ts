/**
 * The handshake probe: a leader-only loop, apart from every work queue, that probes each endpoint of
 * each MCPServer and records what it saw. gather (caches: servers, policies, namespaces, pods; the
 * trust bundle from the anchor) → probe (endpoint.ts, at most `concurrency` handshakes at once, each
 * bounded by `timeoutMs`) → decide (decide.ts, pure) → act (`status.transport` through the writer under
 * {@link PROBE_FIELD_MANAGER}, at most {@link WRITES_AT_ONCE} writes at once, only when it changed) →
 * report (Events on a changed result, metrics, the CBOM's observations).
 *
 * Rounds never overlap: the next starts `intervalMs` (± a tenth, {@link nextRoundDelay}) after one ends,
 * and a round begun after the lease is taken back waits for the abandoned one to end. Since it owns no
 * queue and reconciles nothing, a slow or silent endpoint delays only the probe's own round, never a key
 * rotation. An endpoint whose probe has not settled {@link DEADLINE_SLACK_MS} after its two handshakes'
 * timeouts counts as `Unreachable` (the handshakes bound themselves; this bounds any probe function).
 * Losing the lease abandons the round: no probe starts after it, none is waited for, nothing is written.
 * Each round builds its TLS contexts from the bundle once ({@link trustContexts}).
 *
 * @example
 * const probe = new TransportProbe(deps, { intervalMs: 300_000, concurrency: 8, timeoutMs: 5_000 });
 * probe.start();
 * probe.observed(); // for the CBOM
 * await probe.stop();
 */
import type { V1Namespace, V1Pod } from "@kubernetes/client-node";
import type { CryptoPolicy, MCPServer } from "../api/types.generated.ts";
import type { ObservedTransport } from "../cbom/inventory.ts";
import type { EventRecorder } from "../events.ts";
import { PROBE_FIELD_MANAGER, type Writer } from "../kube/apply.ts";
import type { Cache, NamespacedCache } from "../kube/cache.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { resolvePolicy } from "../policy/merge.ts";
import { realClock, type Clock } from "../runtime/clock.ts";
import type { LeaderGate } from "../runtime/controller.ts";
import { decideTransport, type ProbedEndpoint } from "./decide.ts";
import { probeEndpoint, type EndpointProbe } from "./endpoint.ts";
import { serverEndpoints, type Endpoint } from "./endpoints.ts";
import { deadline, limiter } from "./limit.ts";
import { PresentedCertificates, observedFromProbes } from "./observed.ts";
import { trustContexts, type TrustContexts } from "./trust-contexts.ts";

/** Status writes in flight at once. */
export const WRITES_AT_ONCE = 4;

/** How long past its two handshakes' timeouts an endpoint's probe may take before it counts as silent. */
export const DEADLINE_SLACK_MS = 1_000;

/**
 * `--probe-interval`, `--probe-concurrency`, `--probe-timeout`.
 *
 * @example
 * const schedule: ProbeSchedule = { intervalMs: 300_000, concurrency: 8, timeoutMs: 5_000 };
 */
export interface ProbeSchedule {
  intervalMs: number;
  concurrency: number;
  timeoutMs: number;
}

/**
 * What the probe reads and writes through.
 *
 * @example
 * const deps: ProbeDeps = { servers, policies, namespaces, pods, bundle: () => authority.bundle(), writer, events, metrics, log };
 */
export interface ProbeDeps {
  servers: Cache<MCPServer>;
  policies: Cache<CryptoPolicy>;
  namespaces: Cache<V1Namespace>;
  pods: NamespacedCache<V1Pod>;
  /** The anchors a certificate must chain to (PEM). */
  bundle: () => string[];
  proxyImage?: string | undefined;
  writer: Writer;
  events: EventRecorder;
  metrics: Metrics;
  log: Logger;
  leader?: LeaderGate | undefined;
  clock?: Clock;
  /** For tests: [0, 1), the jitter of the first round and between rounds; default `Math.random`. */
  random?: () => number;
  /** For tests: how one endpoint is probed. */
  probe?: (
    endpoint: Endpoint,
    options: { trust: TrustContexts; timeoutMs: number },
  ) => Promise<EndpointProbe>;
}

/**
 * How long to wait before the next round: `intervalMs` ± a tenth, from `random` in [0, 1).
 *
 * @example
 * nextRoundDelay(300_000, 0.5); // 300_000
 */
export function nextRoundDelay(intervalMs: number, random: number): number {
  return Math.round(intervalMs * (0.9 + 0.2 * random));
}

/** The leader's handshake probe (see the module notes). */
export class TransportProbe {
  private readonly clock: Clock;
  private readonly random: () => number;
  private run: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private seen: ObservedTransport[] | undefined;
  private labelled = new Set<string>();
  private readonly certificates = new PresentedCertificates();
  private readonly deps: ProbeDeps;
  private readonly schedule: ProbeSchedule | undefined;

  /** `schedule` undefined: the probe is off (`--probe-interval=off`) and never starts. */
  constructor(deps: ProbeDeps, schedule: ProbeSchedule | undefined) {
    this.deps = deps;
    this.schedule = schedule;
    this.clock = deps.clock ?? realClock;
    this.random = deps.random ?? Math.random;
  }

  /** Probes while leading (always, without a leader gate). */
  start(): void {
    if (!this.schedule) return;
    if (!this.deps.leader) return this.begin();
    this.unsubscribe = this.deps.leader.subscribe({
      onStartedLeading: () => this.begin(),
      onStoppedLeading: () => void this.end(),
    });
  }

  /** Stops probing; resolves once the round in progress is abandoned. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.end();
  }

  /** What the last round saw, for the CBOM; undefined before the first round ends. */
  observed(): ObservedTransport[] | undefined {
    return this.seen;
  }

  private begin(): void {
    if (this.run) return;
    const run = new AbortController();
    this.run = run;
    // After an abandoned round has ended, so that rounds never overlap.
    const previous = this.loop ?? Promise.resolve();
    this.loop = previous.then(() => this.rounds(run.signal));
  }

  private async end(): Promise<void> {
    this.run?.abort();
    this.run = undefined;
    await this.loop;
  }

  private async rounds(signal: AbortSignal): Promise<void> {
    const { intervalMs } = this.schedule!;
    // The first round soon after taking the lease, spread so that replicas taking over do not align.
    await this.clock.sleep(this.random() * Math.min(intervalMs, 10_000), signal);
    while (!signal.aborted) {
      try {
        await this.round(signal);
      } catch (error) {
        this.deps.log.error({ err: error }, "Failed handshake probe round");
      }
      await this.clock.sleep(nextRoundDelay(intervalMs, this.random()), signal);
    }
  }

  /** One round over every MCPServer in the cache. */
  async round(signal: AbortSignal = new AbortController().signal): Promise<void> {
    const { deps } = this;
    const schedule = this.schedule;
    if (!schedule) return;
    const started = this.clock.now().getTime();
    const probes = limiter(schedule.concurrency);
    const writes = limiter(WRITES_AT_ONCE);
    const trust = trustContexts(deps.bundle());
    const probe = deps.probe ?? ((e, o) => probeEndpoint(e, o));
    const limitMs = 2 * schedule.timeoutMs + DEADLINE_SLACK_MS;
    const silent = (error: string): EndpointProbe => ({
      outcome: "Unreachable",
      handshake: undefined,
      classicalGroup: undefined,
      error,
    });
    const probeOne = (endpoint: Endpoint): Promise<EndpointProbe> =>
      signal.aborted
        ? Promise.resolve(silent("the round was abandoned"))
        : deadline(
            this.clock,
            limitMs,
            signal,
            probe(endpoint, { trust, timeoutMs: schedule.timeoutMs }),
            () => silent(`no answer within ${limitMs / 1000} s`),
          );
    const seen: ObservedTransport[] = [];
    const labelled = new Set<string>();
    let written = 0;
    let probedCount = 0;
    await Promise.all(
      deps.servers.list().map(async (server) => {
        const namespace = server.metadata.namespace!;
        const name = server.metadata.name!;
        const labels = deps.namespaces.get(namespace)?.metadata?.labels;
        const { policy } = resolvePolicy(deps.policies.list(), labels);
        const endpoints = serverEndpoints(
          server,
          deps.pods.inNamespace(namespace),
          policy,
          deps.proxyImage,
        );
        probedCount += endpoints.length;
        const probed: ProbedEndpoint[] = await Promise.all(
          endpoints.map(async (endpoint) => ({
            endpoint,
            probe: await probes(() => probeOne(endpoint)),
          })),
        );
        if (signal.aborted) return;
        const now = this.clock.now();
        // The status as it is now, not as it was when the round began.
        const current = deps.servers.get(`${namespace}/${name}`) ?? server;
        const plan = decideTransport(
          { probes: probed, previous: current.status?.transport, intervalMs: schedule.intervalMs },
          now,
        );
        this.report(server, probed, plan.transport, now, seen, labelled);
        if (!plan.write) return;
        try {
          await writes(() =>
            deps.writer.applyStatus(
              { kind: "MCPServer", metadata: { name, namespace } },
              "mcpservers",
              { transport: plan.transport },
              PROBE_FIELD_MANAGER,
            ),
          );
          written++;
        } catch (error) {
          deps.log.warn(
            { err: error, namespace, name },
            "Failed to record transport probe results",
          );
          return;
        }
        if (plan.event)
          void deps.events.record(server, plan.event.type, plan.event.reason, plan.event.message);
      }),
    );
    if (signal.aborted) return;
    for (const key of this.labelled) {
      if (labelled.has(key)) continue;
      const [namespace, mcpserver] = key.split("/") as [string, string];
      for (const gauge of [
        deps.metrics.transportLastSuccess,
        deps.metrics.transportVerified,
        deps.metrics.transportFalseClaims,
      ])
        gauge.remove({ namespace, mcpserver });
    }
    this.labelled = labelled;
    this.seen = seen;
    this.certificates.endRound();
    const seconds = (this.clock.now().getTime() - started) / 1000;
    deps.metrics.transportProbeRound.set(seconds);
    deps.log.info(
      { servers: labelled.size, endpoints: probedCount, written, seconds },
      "Finished handshake probe round",
    );
  }

  private report(
    server: MCPServer,
    probed: readonly ProbedEndpoint[],
    transport: ReturnType<typeof decideTransport>["transport"],
    now: Date,
    seen: ObservedTransport[],
    labelled: Set<string>,
  ): void {
    const { metrics } = this.deps;
    const namespace = server.metadata.namespace!;
    const labels = { namespace, mcpserver: server.metadata.name! };
    labelled.add(`${namespace}/${labels.mcpserver}`);
    for (const p of probed)
      metrics.transportProbes.inc({
        result: p.probe.outcome,
        group: p.probe.handshake?.group ?? "none",
      });
    seen.push(...observedFromProbes(namespace, probed, now.toISOString(), this.certificates));
    const verified = transport.result === "Verified";
    metrics.transportVerified.set(labels, verified ? 1 : 0);
    metrics.transportFalseClaims.set(labels, transport.falseClaims ?? 0);
    if (verified) metrics.transportLastSuccess.set(labels, now.getTime() / 1000);
  }
}
