/**
 * Webhook TLS from cert-manager: a Certificate resource writes `tls.crt` and `tls.key` into a Secret that
 * is mounted into the pod, and cert-manager's CA injector keeps the ValidatingWebhookConfiguration's
 * `caBundle` current (the `cert-manager.io/inject-ca-from` annotation, see configuration.ts). LatticeGuard
 * then only loads the files, and reloads them when they change: the directory is polled, because a
 * mounted Secret is updated by swapping a symlink, which file watches miss. A pair that does not parse,
 * or whose key does not match, is ignored (and logged) until the next poll: the last good one stays.
 *
 * @example
 * const certs = new DirectoryCertificates({ dir: "/etc/latticeguard/webhook-tls", log });
 * certs.start();
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../log.ts";
import { keyMatchesCert, type PemPair } from "./certs.ts";
import { ChangeFeed, type CertificateSource } from "./source.ts";

/**
 * Where the files are and how often to look.
 *
 * @example
 * const options: DirectoryOptions = { dir: "/etc/latticeguard/webhook-tls", log, pollMs: 10_000 };
 */
export interface DirectoryOptions {
  dir: string;
  log: Logger;
  /** Default 10 s. */
  pollMs?: number;
}

/**
 * The cert-manager {@link CertificateSource}: `tls.crt` and `tls.key` in a directory.
 *
 * @example
 * new DirectoryCertificates(options).start();
 */
export class DirectoryCertificates implements CertificateSource {
  private readonly options: DirectoryOptions;
  private readonly feed = new ChangeFeed();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private lastProblem = "";

  constructor(options: DirectoryOptions) {
    this.options = options;
  }

  current = () => this.feed.current();
  onChange = (fn: (pair: PemPair) => void) => this.feed.onChange(fn);
  whenReady = () => this.feed.whenReady();

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.poll();
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    return Promise.resolve();
  }

  /** Reads the files once; public for tests. */
  async load(): Promise<void> {
    const { dir, log } = this.options;
    try {
      const [cert, key] = await Promise.all(
        ["tls.crt", "tls.key"].map((f) => readFile(join(dir, f), "utf8")),
      );
      const pair = { cert: cert!, key: key! };
      const current = this.feed.current();
      if (current?.cert === pair.cert && current.key === pair.key) return;
      if (!keyMatchesCert(pair)) throw new Error("tls.key does not belong to tls.crt");
      this.feed.publish(pair);
      this.lastProblem = "";
      log.info({ dir }, "Loaded webhook serving certificate");
    } catch (error) {
      const problem = error instanceof Error ? error.message : String(error);
      if (problem !== this.lastProblem)
        log.warn({ dir, err: error }, "Failed to load webhook certificate");
      this.lastProblem = problem;
    }
  }

  private async poll(): Promise<void> {
    await this.load();
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll(), this.options.pollMs ?? 10_000);
    this.timer.unref();
  }
}
