/**
 * Confirms suspected shadow MCP servers by probing them, in the background: a reconcile asks
 * {@link EndpointProber.lookup} and gets what is known at once, never waiting for a probe. Unknown and
 * stale endpoints are queued and probed with:
 *
 * - bounded concurrency (`concurrency`, default 4) and a bounded queue (`maxQueued`, default 1,000;
 *   endpoints beyond it are asked for again by a later reconcile);
 * - a random delay of up to `jitterMs` (default 1 s) before each probe, so a burst of new pods does not
 *   become a burst of connections;
 * - a deadline (`timeoutMs`, default 3 s) after which the probe is aborted and counts as unanswered;
 * - a result kept for `recheckMs` (default 10 min); after that the old result stands until a fresh
 *   probe replaces it, so a state never flaps to unknown;
 * - at most `maxEntries` (default 10,000) results, the oldest dropped first.
 *
 * The key names the pod by UID as well as its address, since pod IPs are reused.
 *
 * @example
 * const prober = new EndpointProber({ probe: probeMcp });
 * prober.lookup("uid|10.1.2.3:8080", { host: "10.1.2.3", port: 8080 }); // { pending: true }
 */
import { PROBE_DEFAULTS } from "../api/shadow.schema.ts";
import type { Logger } from "../log.ts";
import { realClock, type Clock } from "../runtime/clock.ts";
import type { ProbeScheme } from "./scheme.ts";

/**
 * Where to probe, and whether the port hints at TLS (scheme.ts).
 *
 * @example
 * const t: ProbeTarget = { host: "10.1.2.3", port: 8080 };
 */
export interface ProbeTarget {
  host: string;
  port: number;
  tlsHinted?: boolean;
}

/**
 * How an endpoint answered MCP `initialize`: over which scheme, and over TLS the key-exchange group it
 * negotiated (IANA name).
 *
 * @example
 * const a: ProbeAnswer = { scheme: "https", tlsGroup: "x25519" };
 */
export interface ProbeAnswer {
  scheme: ProbeScheme;
  tlsGroup?: string;
}

/**
 * What a lookup knows: the last outcome (absent before the first probe ends) and, when it answered,
 * how; whether a probe is queued or running, and when the outcome goes stale.
 *
 * @example
 * const known: ProbeLookup = { answered: true, answer: { scheme: "http" }, pending: false, staleAt: 1_900_000_000_000 };
 */
export interface ProbeLookup {
  answered?: boolean;
  answer?: ProbeAnswer;
  pending: boolean;
  staleAt?: number;
}

/**
 * How to probe and within which bounds (defaults in the module notes).
 *
 * @example
 * new EndpointProber({ probe: probeMcp, concurrency: 2, clock: fakeClock, random: () => 0 });
 */
export interface ProberOptions {
  /** Resolves how the endpoint answered, or undefined; must give up when `signal` aborts. */
  probe(target: ProbeTarget, signal: AbortSignal): Promise<ProbeAnswer | undefined>;
  concurrency?: number;
  maxQueued?: number;
  jitterMs?: number;
  timeoutMs?: number;
  recheckMs?: number;
  maxEntries?: number;
  clock?: Clock;
  random?: () => number;
  log?: Logger;
}

interface Entry {
  answered?: boolean;
  answer?: ProbeAnswer;
  checkedAt?: number;
  pending: boolean;
}

function positive(name: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 0)) throw new RangeError(`\`${name}\` must be >= 0`);
  return value;
}

/** Probes endpoints in the background within bounds (see the module notes). */
export class EndpointProber {
  private readonly entries = new Map<string, Entry>();
  private readonly queued: { key: string; target: ProbeTarget }[] = [];
  private inFlight = 0;
  private readonly o: Required<Omit<ProberOptions, "log">> & { log?: Logger };

  constructor(options: ProberOptions) {
    this.o = {
      ...PROBE_DEFAULTS,
      clock: realClock,
      random: Math.random,
      ...options,
    };
    if (positive("concurrency", this.o.concurrency) < 1)
      throw new RangeError("`concurrency` must be >= 1");
    for (const name of ["maxQueued", "jitterMs", "timeoutMs", "recheckMs", "maxEntries"] as const)
      positive(name, this.o[name]);
  }

  /** What is known of `key`; queues a probe of `target` when nothing is, or it is stale. */
  lookup(key: string, target: ProbeTarget): ProbeLookup {
    const now = this.o.clock.now().getTime();
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { pending: false };
      this.entries.set(key, entry);
      this.evict();
    }
    const staleAt = entry.checkedAt === undefined ? undefined : entry.checkedAt + this.o.recheckMs;
    if (!entry.pending && (staleAt === undefined || now >= staleAt))
      this.enqueue(key, target, entry);
    return {
      ...(entry.answered !== undefined && { answered: entry.answered }),
      ...(entry.answer && { answer: entry.answer }),
      pending: entry.pending,
      ...(staleAt !== undefined && { staleAt }),
    };
  }

  private evict(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.o.maxEntries) return;
      if (!this.entries.get(key)!.pending) this.entries.delete(key);
    }
  }

  private enqueue(key: string, target: ProbeTarget, entry: Entry): void {
    if (this.queued.length >= this.o.maxQueued) return;
    entry.pending = true;
    this.queued.push({ key, target });
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.o.concurrency && this.queued.length > 0) {
      const { key, target } = this.queued.shift()!;
      this.inFlight++;
      void this.run(key, target).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(key: string, target: ProbeTarget): Promise<void> {
    const { clock } = this.o;
    await clock.sleep(Math.floor(this.o.random() * this.o.jitterMs));
    const abort = new AbortController();
    const deadline = clock.setTimer(this.o.timeoutMs, () => abort.abort());
    let answer: ProbeAnswer | undefined;
    try {
      answer = await Promise.race([
        this.o.probe(target, abort.signal),
        new Promise<undefined>((resolve) =>
          abort.signal.addEventListener("abort", () => resolve(undefined), { once: true }),
        ),
      ]);
    } catch (error) {
      this.o.log?.debug(
        { err: error, endpoint: `${target.host}:${target.port}` },
        "Failed to probe endpoint",
      );
    } finally {
      deadline.cancel();
      abort.abort();
    }
    const entry = this.entries.get(key) ?? { pending: false };
    Object.assign(entry, {
      answered: answer !== undefined,
      answer,
      checkedAt: clock.now().getTime(),
      pending: false,
    });
    this.entries.set(key, entry);
  }
}
