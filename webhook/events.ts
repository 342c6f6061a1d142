/**
 * Events for admitted violations, throttled. A non-compliant Deployment in `Audit` mode makes one
 * admission review per pod it ever creates; one Event per pod would bury everything else in
 * `kubectl get events`. Events with the same key (the target, the object, or the generateName its pods
 * share, and the same violations) are recorded once per window; the rest are dropped, which the metrics
 * still count. Recording is fire-and-forget: an admission never waits for an Event.
 *
 * @example
 * const sink = throttledEvents(apiEventRecorder(kc, log));
 * sink.record({ target: server, message: "…", key: "…" });
 */
import type { EventRecorder } from "../operator/events.ts";
import type { EventSink } from "./admit.ts";

/**
 * How often one Event may repeat, and how many keys are remembered.
 *
 * @example
 * throttledEvents(recorder, { windowMs: 60_000 });
 */
export interface ThrottleOptions {
  windowMs?: number;
  maxKeys?: number;
  now?: () => number;
}

/**
 * An {@link EventSink} that records `PolicyViolation` Warning Events through `recorder`, at most once per
 * key per window (default 10 minutes).
 *
 * @example
 * const sink = throttledEvents(recorder, { windowMs: 600_000 });
 */
export function throttledEvents(recorder: EventRecorder, options: ThrottleOptions = {}): EventSink {
  const windowMs = options.windowMs ?? 600_000;
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  return {
    record(event) {
      const t = now();
      const last = seen.get(event.key);
      if (last !== undefined && t - last < windowMs) return;
      seen.delete(event.key);
      seen.set(event.key, t);
      if (seen.size > maxKeys) {
        for (const [key, at] of seen)
          if (t - at >= windowMs || seen.size > maxKeys) seen.delete(key);
      }
      void recorder.record(event.target, "Warning", "PolicyViolation", event.message);
    },
  };
}
