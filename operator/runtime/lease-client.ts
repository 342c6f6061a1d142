/**
 * Reads and writes one `coordination.k8s.io/v1` Lease for leader election: the API side of `leader.ts`.
 * Writes are compare-and-swap (a replace carries the resourceVersion that was read, so a concurrent
 * writer gets 409 Conflict), times are written as MicroTime (six fractional digits, as the API expects),
 * and every request is bounded by a timeout and can be aborted.
 *
 * @example
 * const client = new LeaseClient(kc, { namespace: "latticeguard-system", name: "latticeguard" }, 40_000);
 * const current = await client.read();
 * await client.write(current, { ...record, renewTime: new Date() });
 */
import {
  ApiException,
  CoordinationV1Api,
  V1MicroTime,
  type ConfigurationOptions,
  type KubeConfig,
  type V1Lease,
  type V1LeaseSpec,
} from "@kubernetes/client-node";
import { requestTimeout } from "../kube/kubeconfig.ts";
import type { LeaseRecord } from "./lease-decision.ts";

/**
 * A Lease as read: the object (for its resourceVersion) and its leader-election record.
 *
 * @example
 * const read = await client.read();
 * if (read?.record.holderIdentity === identity) log.info("Holding leader lease");
 */
export interface ReadLease {
  lease: V1Lease;
  record: LeaseRecord;
}

function toSpec(record: LeaseRecord): V1LeaseSpec {
  return {
    ...record,
    acquireTime: new V1MicroTime(record.acquireTime),
    renewTime: new V1MicroTime(record.renewTime),
  };
}

function toRecord(spec: V1LeaseSpec | undefined): LeaseRecord {
  return {
    holderIdentity: spec?.holderIdentity ?? "",
    leaseDurationSeconds: spec?.leaseDurationSeconds ?? 0,
    acquireTime: new Date(spec?.acquireTime ?? 0),
    renewTime: new Date(spec?.renewTime ?? 0),
    leaseTransitions: spec?.leaseTransitions ?? 0,
  };
}

/**
 * One Lease, read and written with bounded, abortable requests.
 *
 * @example
 * const client = new LeaseClient(kc, { namespace, name: "latticeguard" }, 10_000);
 */
export class LeaseClient {
  private readonly api: CoordinationV1Api;
  private readonly namespace: string;
  private readonly name: string;
  private readonly timeoutMs: number;

  constructor(kc: KubeConfig, lease: { namespace: string; name: string }, timeoutMs: number) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.namespace = lease.namespace;
    this.name = lease.name;
    this.timeoutMs = timeoutMs;
  }

  /** The Lease, or undefined if it does not exist. */
  async read(signal?: AbortSignal): Promise<ReadLease | undefined> {
    const { name, namespace } = this;
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace }, this.options(signal));
      return { lease, record: toRecord(lease.spec) };
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  /** Creates the Lease (if `current` is undefined) or replaces the version read; returns what was stored. */
  async write(
    current: ReadLease | undefined,
    record: LeaseRecord,
    signal?: AbortSignal,
  ): Promise<ReadLease> {
    const { name, namespace } = this;
    const spec = toSpec(record);
    const written = current
      ? await this.api.replaceNamespacedLease(
          { name, namespace, body: { ...current.lease, spec } },
          this.options(signal),
        )
      : await this.api.createNamespacedLease(
          {
            namespace,
            body: {
              apiVersion: "coordination.k8s.io/v1",
              kind: "Lease",
              metadata: { name, namespace },
              spec,
            },
          },
          this.options(signal),
        );
    return { lease: written, record: toRecord(written.spec) };
  }

  /** Bounds a request by the timeout, and aborts it with `signal`. */
  private options(signal?: AbortSignal): ConfigurationOptions {
    return requestTimeout(this.timeoutMs, signal);
  }
}

/**
 * Whether an error is the API server refusing a write that raced another (409 Conflict, or
 * AlreadyExists when two candidates create the Lease at once).
 *
 * @example
 * if (isConflict(error)) log.debug("Lost race for leader lease");
 */
export function isConflict(error: unknown): boolean {
  return error instanceof ApiException && error.code === 409;
}
