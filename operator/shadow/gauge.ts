/**
 * The `latticeguard_shadow_mcp_servers{namespace,state}` gauge, fed by the shadow controller one policy
 * at a time. Several policies can select one namespace; each reconcile reports the namespaces it
 * looked at, the most recent report of a namespace wins, and a namespace no policy reports any more
 * (its policies deleted, or they stopped selecting it) leaves the gauge. Only non-zero series are
 * exported, so an alert on `> 0` and a cleared shadow server both read naturally and a cluster of
 * clean namespaces exports nothing.
 *
 * @example
 * const ledger = new ShadowLedger(metrics.shadowServers);
 * ledger.report("baseline", new Map([["shop", { suspected: 1, confirmed: 0 }]]));
 * ledger.forget("baseline");
 */
import type { Gauge } from "prom-client";
import type { ShadowState } from "./report.ts";

/** Per policy, the counts of each namespace it selects, kept to rebuild the gauge. */
export class ShadowLedger {
  private readonly byPolicy = new Map<string, Map<string, Record<ShadowState, number>>>();

  private readonly gauge: Gauge<"namespace" | "state">;

  constructor(gauge: Gauge<"namespace" | "state">) {
    this.gauge = gauge;
  }

  /** Records what `policy` found in the namespaces it selects (absent namespaces: none found). */
  report(policy: string, counts: Map<string, Record<ShadowState, number>>): void {
    this.byPolicy.delete(policy);
    this.byPolicy.set(policy, counts);
    this.rebuild();
  }

  /** Drops a deleted policy's report. */
  forget(policy: string): void {
    if (this.byPolicy.delete(policy)) this.rebuild();
  }

  private rebuild(): void {
    const latest = new Map<string, Record<ShadowState, number>>();
    for (const counts of this.byPolicy.values())
      for (const [namespace, c] of counts) latest.set(namespace, c);
    // Synchronous: no scrape sees the gauge between reset and the last set.
    this.gauge.reset();
    for (const [namespace, c] of latest)
      for (const state of ["suspected", "confirmed"] as const)
        if (c[state] > 0) this.gauge.set({ namespace, state }, c[state]);
  }
}
