/**
 * The one loop that keeps a pod's workload identity current, shared by `latticeguard agent` (which only
 * keeps the files) and `latticeguard proxy` (which also serves TLS with what it obtains): obtain an
 * identity, write it, sleep until about two thirds of its lifetime, repeat; on any failure retry with
 * capped exponential backoff (or after the issuer's `Retry-After`, if that is longer), keeping the last
 * good files in place.
 *
 * One attempt: read the projected token (again every time: the kubelet rotates it) and the mounted trust
 * bundle, make a CSR with the key of this renewal, post it, check the answer (issued for this key, chains
 * to the mounted bundle and to the bundle that came with it), then write bundle, key and certificate
 * atomically. Every renewal uses a fresh key; retries of one renewal reuse its key. The loop ends, and
 * `keepIdentity` resolves, once `signal` aborts (an attempt in flight is cancelled).
 *
 * @example
 * const stop = new AbortController();
 * await keepIdentity({ issuer, tokenFile, bundleFile, outDir, algorithm: "ML-DSA-65", signal: stop.signal, log,
 *   onWritten: (identity) => server.setSecureContext({ cert: identity.certificate, key: identity.keyPem }) });
 */
import { readFile } from "node:fs/promises";
import type { SignatureAlgorithm } from "../api/algorithms.ts";
import { createCsr, privateKeyPem, signatureBackend, type SigningSeed } from "../crypto/index.ts";
import type { Logger } from "../log.ts";
import { realClock, type Clock } from "../runtime/clock.ts";
import { checkAnswer, splitPemBundle, type CheckedIdentity } from "./answer.ts";
import {
  IssuerRefusedError,
  requestIdentity,
  type IdentityRequest,
  type IssuerAnswer,
} from "./client.ts";
import { writeIdentityFiles } from "./files.ts";
import { renewalDelay, retryDelay } from "./schedule.ts";

/**
 * An identity as written: the checked answer and the private key (PKCS#8 PEM) it certifies, for a caller
 * that serves TLS with it without reading the files back.
 *
 * @example
 * server.setSecureContext({ cert: kept.certificate, key: kept.keyPem, ca: kept.bundle });
 */
export interface KeptIdentity extends CheckedIdentity {
  keyPem: string;
}

/**
 * What the loop runs with.
 *
 * @example
 * const options: KeeperOptions = { issuer, tokenFile, bundleFile, outDir, algorithm, signal, log };
 */
export interface KeeperOptions {
  issuer: URL;
  tokenFile: string;
  bundleFile: string;
  outDir: string;
  algorithm: SignatureAlgorithm;
  signal: AbortSignal;
  log: Logger;
  clock?: Clock;
  /** Uniform in [0, 1); jitter for renewals and retries. */
  random?: () => number;
  /** The issuer call; tests and benchmarks may replace it. */
  request?: (request: IdentityRequest) => Promise<IssuerAnswer>;
  /** Called after each identity is written; a throw is logged and does not stop the loop. */
  onWritten?: (identity: KeptIdentity) => void;
}

async function attempt(
  options: KeeperOptions,
  key: SigningSeed,
  clock: Clock,
): Promise<KeptIdentity> {
  const [token, mounted] = await Promise.all([
    readFile(options.tokenFile, "utf8"),
    readFile(options.bundleFile, "utf8"),
  ]);
  const trusted = splitPemBundle(mounted);
  if (trusted.length === 0) throw new Error(`${options.bundleFile} holds no PEM certificate`);
  if (!token.trim()) throw new Error(`${options.tokenFile} is empty`);
  const answer = await (options.request ?? requestIdentity)({
    issuer: options.issuer,
    token: token.trim(),
    csr: await createCsr({ key }),
    trust: trusted.join(""),
    signal: options.signal,
  });
  const identity = await checkAnswer(answer, key, trusted, clock.now());
  const keyPem = privateKeyPem(key);
  await writeIdentityFiles(options.outDir, {
    bundle: identity.bundle,
    keyPem,
    certificate: identity.certificate,
  });
  return { ...identity, keyPem };
}

/**
 * Runs until `options.signal` aborts; never rejects.
 *
 * @example
 * await keepIdentity({ ...config, signal, log, onWritten });
 */
export async function keepIdentity(options: KeeperOptions): Promise<void> {
  const { log, signal, algorithm } = options;
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const backend = signatureBackend("auto", algorithm);
  let key: SigningSeed | undefined;
  let failures = 0;
  while (!signal.aborted) {
    key ??= { algorithm, seed: backend.generateSeed(algorithm) };
    let delay: number;
    try {
      const identity = await attempt(options, key, clock);
      key = undefined;
      failures = 0;
      delay = renewalDelay(identity, clock.now(), random());
      log.info(
        {
          spiffeId: identity.spiffeId,
          notAfter: identity.notAfter,
          renewInSeconds: Math.round(delay / 1000),
        },
        "Wrote workload identity",
      );
      try {
        options.onWritten?.(identity);
      } catch (error) {
        log.error({ err: error }, "Failed to apply the new workload identity");
      }
    } catch (error) {
      if (signal.aborted) break;
      failures += 1;
      // The backoff, or longer if the issuer asked for longer (a rate limit, an overload).
      const asked = error instanceof IssuerRefusedError ? (error.retryAfterMs ?? 0) : 0;
      delay = Math.max(retryDelay(failures, random()), asked);
      const reason = error instanceof IssuerRefusedError ? error.reason : undefined;
      log.warn(
        { failures, reason, retryInSeconds: Math.round(delay / 100) / 10, err: error },
        "Failed to obtain workload identity",
      );
    }
    await clock.sleep(delay, signal);
  }
}
