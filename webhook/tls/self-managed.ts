/**
 * Self-managed webhook TLS: every replica runs this loop against one Secret in the operator's namespace.
 * Each sync reads the Secret, asks {@link planCertificates} what to do, writes the result guarded by the
 * resourceVersion it read (create when absent: two replicas starting together both try, one wins with
 * 409 and loads the other's), serves what the Secret holds, and patches the bundle into the
 * ValidatingWebhookConfiguration and the MutatingWebhookConfiguration. Syncs run at the next planned change, and at least every `pollMs` so a
 * replica picks up what another replica rotated. Errors are logged and retried with backoff; a replica
 * keeps serving its last certificate meanwhile. Private keys never reach a log.
 *
 * @example
 * const certs = new SelfManagedCertificates({ kc, namespace: "latticeguard-system", secretName: "latticeguard-webhook-tls",
 *   webhookConfiguration: "latticeguard", mutatingWebhookConfiguration: "latticeguard", hosts, log });
 * certs.start();
 * await certs.whenReady();
 */
import { CoreV1Api, type KubeConfig, type V1Secret } from "@kubernetes/client-node";
import { MANAGED_LABELS, isConflict, isNotFound } from "../../operator/kube/apply.ts";
import type { Logger } from "../../operator/log.ts";
import { patchCaBundle, type ConfigurationKind } from "./ca-bundle.ts";
import {
  DAY_MS,
  certFacts,
  createCA,
  issueServing,
  type Hosts,
  type PemPair,
} from "../../operator/tls/certs.ts";
import {
  planCertificates,
  type CertificatePlan,
  type RotationSettings,
} from "../../operator/tls/rotation.ts";
import {
  decodeCertificates,
  encodeCertificates,
  factsOf,
  type StoredCertificates,
} from "../../operator/tls/secret.ts";
import { ChangeFeed, type CertificateSource } from "../../operator/tls/source.ts";

/**
 * Where the certificates live and how long they last.
 *
 * @example
 * const options: SelfManagedOptions = { kc, namespace, secretName, webhookConfiguration: "latticeguard", hosts, log };
 */
export interface SelfManagedOptions {
  kc: KubeConfig;
  namespace: string;
  secretName: string;
  /** The ValidatingWebhookConfiguration whose `caBundle` to keep current; undefined: none. */
  webhookConfiguration: string | undefined;
  /** The MutatingWebhookConfiguration whose `caBundle` to keep current; undefined: none. */
  mutatingWebhookConfiguration?: string;
  hosts: Hosts;
  log: Logger;
  /** Default 365 days. */
  caValidityMs?: number;
  /** Default 90 days. */
  servingValidityMs?: number;
  /** Default 2 minutes. */
  caPropagationMs?: number;
  /** Default 1 minute. */
  pollMs?: number;
  now?: () => number;
}

const MAX_DELAY_MS = 2 ** 31 - 1;

/** Applies a plan to what the Secret holds. */
async function carryOut(
  plan: CertificatePlan,
  stored: StoredCertificates | undefined,
  settings: RotationSettings,
  now: Date,
): Promise<StoredCertificates> {
  const serve = (ca: PemPair) => issueServing(ca, settings.hosts, now, settings.servingValidityMs);
  if (plan.action === "Create" || !stored) {
    const ca = await createCA(now, settings.caValidityMs);
    return { ca, bundle: [ca.cert], serving: await serve(ca) };
  }
  switch (plan.action) {
    case "RotateCA": {
      const ca = await createCA(now, settings.caValidityMs);
      return { ...stored, ca, bundle: [ca.cert, ...stored.bundle] };
    }
    case "IssueServing":
      return { ...stored, serving: await serve(stored.ca) };
    case "PruneBundle": {
      const live = stored.bundle.filter((pem) => certFacts(pem).notAfter > now.getTime());
      return { ...stored, bundle: live };
    }
    case "Keep":
      return stored;
  }
}

/**
 * The self-managed {@link CertificateSource}.
 *
 * @example
 * new SelfManagedCertificates(options).start();
 */
export class SelfManagedCertificates implements CertificateSource {
  private readonly options: SelfManagedOptions;
  private readonly settings: RotationSettings;
  private readonly core: CoreV1Api;
  private readonly feed = new ChangeFeed();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private failures = 0;
  private running: Promise<void> | undefined;
  private serial: Promise<void> = Promise.resolve();
  /** The configurations last found missing, by kind and name: said once, not every poll. */
  private readonly missing = new Set<string>();

  constructor(options: SelfManagedOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.core = options.kc.makeApiClient(CoreV1Api);
    this.settings = {
      caValidityMs: options.caValidityMs ?? 365 * DAY_MS,
      servingValidityMs: options.servingValidityMs ?? 90 * DAY_MS,
      caPropagationMs: options.caPropagationMs ?? 120_000,
      hosts: options.hosts,
    };
  }

  current = () => this.feed.current();
  onChange = (fn: (pair: PemPair) => void) => this.feed.onChange(fn);
  whenReady = () => this.feed.whenReady();

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /**
   * One sync, after any sync in progress (syncs never overlap); resolves with when the next one is due.
   * The loop calls it; tests may too.
   */
  sync(): Promise<number> {
    const next = this.serial.then(() => this.syncOnce());
    this.serial = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private async syncOnce(): Promise<number> {
    const { namespace, secretName: name, log } = this.options;
    for (let attempt = 1; ; attempt++) {
      const secret = await this.read();
      const stored = decodeCertificates(secret?.data);
      const plan = planCertificates(stored && factsOf(stored), this.now(), this.settings);
      if (plan.action === "Keep") {
        this.serve(stored!);
        await this.patchBundle(stored!);
        return Math.min(plan.recheckAt, this.now() + (this.options.pollMs ?? 60_000));
      }
      if (attempt > 5) throw new Error(`the webhook certificates did not settle: ${plan.reason}`);
      const next = await carryOut(plan, stored, this.settings, new Date(this.now()));
      try {
        await this.write(secret, next);
        log.info(
          { secret: `${namespace}/${name}`, action: plan.action, reason: plan.reason },
          "Updated webhook certificates",
        );
      } catch (error) {
        if (!isConflict(error)) throw error;
        log.debug(
          { secret: `${namespace}/${name}` },
          "Lost a race to write the webhook certificates",
        );
      }
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sync().then(
        (nextAt) => {
          this.failures = 0;
          this.schedule(Math.min(Math.max(nextAt - this.now(), 1000), MAX_DELAY_MS));
        },
        (error: unknown) => {
          this.failures++;
          const retryMs = Math.min(1000 * 2 ** (this.failures - 1), 60_000);
          this.options.log.warn({ err: error, retryMs }, "Failed to sync webhook certificates");
          this.schedule(retryMs);
        },
      );
    }, delayMs);
    this.timer.unref();
  }

  private serve(stored: StoredCertificates): void {
    if (this.feed.publish(stored.serving))
      this.options.log.info({ hosts: this.settings.hosts }, "Loaded webhook serving certificate");
  }

  private async patchBundle(stored: StoredCertificates): Promise<void> {
    const targets: [ConfigurationKind, string | undefined][] = [
      ["validating", this.options.webhookConfiguration],
      ["mutating", this.options.mutatingWebhookConfiguration],
    ];
    for (const [kind, name] of targets) {
      if (!name) continue;
      const outcome = await patchCaBundle(this.options.kc, name, stored.bundle.join(""), kind);
      // A missing configuration is worth saying once (the webhook is not registered), not every poll.
      const key = `${kind}/${name}`;
      const missing = outcome === "NotFound";
      const news = outcome === "Patched" || missing !== this.missing.has(key);
      if (missing) this.missing.add(key);
      else this.missing.delete(key);
      const level = !news ? "debug" : missing ? "warn" : "info";
      this.options.log[level](
        { webhookConfiguration: name, kind, outcome },
        "Synced webhook caBundle",
      );
    }
  }

  private async read(): Promise<V1Secret | undefined> {
    const { namespace, secretName: name } = this.options;
    try {
      return await this.core.readNamespacedSecret({ name, namespace });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async write(existing: V1Secret | undefined, stored: StoredCertificates): Promise<void> {
    const { namespace, secretName: name } = this.options;
    const body: V1Secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name,
        namespace,
        labels: { ...existing?.metadata?.labels, ...MANAGED_LABELS },
        annotations: existing?.metadata?.annotations,
        resourceVersion: existing?.metadata?.resourceVersion,
      },
      type: existing?.type ?? "Opaque",
      data: encodeCertificates(stored),
    };
    if (existing) await this.core.replaceNamespacedSecret({ name, namespace, body });
    else await this.core.createNamespacedSecret({ namespace, body });
  }
}
