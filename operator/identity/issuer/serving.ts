/**
 * The issuance API's own TLS certificate: an ML-DSA key (the signer's parameter set, never weaker) certified
 * by the trust anchor that signs workload identities, for the configured DNS names and 127.0.0.1. Clients
 * (the agent) trust it through the same bundle they trust identities with, so the exchange is post-quantum
 * end to end: ML-DSA authentication over an ML-KEM hybrid key exchange.
 *
 * It is re-issued whenever the signer changes (an anchor rotation) and at two thirds of its lifetime, and
 * checked every `checkIntervalMs` (the authority has no change notification). Until a signer exists there is
 * no certificate and TLS handshakes fail; the server still listens.
 *
 * The profile (serverAuth, an IP SAN, a subject name) is not a workload certificate's, so it is built here
 * rather than with `issueCertificate`.
 *
 * @example
 * const serving = new ServingCertificates({ authority, dnsNames: ["latticeguard-issuer.latticeguard-system.svc"], log });
 * serving.onChange((pair) => server.setSecureContext({ ...tlsOptions, ...pair }));
 * serving.start();
 */
import { X509Certificate } from "node:crypto";
import { nativeSignature, privateKeyPem, signingKeyPair } from "../../crypto/index.ts";
import { randomSerialNumber, WEBCRYPTO, withNewline, x509 } from "../../crypto/x509-lib.ts";
import type { Logger } from "../../log.ts";
import { realClock, type Clock, type Timer } from "../../runtime/clock.ts";
import { ChangeFeed } from "../../tls/source.ts";
import type { PemPair } from "../../tls/certs.ts";
import type { IssuingAuthority, Signer } from "../authority.ts";
import { BACKDATE_MS } from "./decide.ts";

/**
 * A serving certificate, its key, and what it was issued from.
 *
 * @example
 * tls.createSecureContext({ cert: state.pair.cert, key: state.pair.key });
 */
export interface ServingState {
  pair: PemPair;
  signerCertificate: string;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Issues a serving certificate for `dnsNames` and `ipAddresses` from `signer`, valid for `lifetimeMs`
 * (within the signer's own validity).
 *
 * @example
 * const state = await issueServingCertificate({ signer, dnsNames: [], ipAddresses: ["127.0.0.1"], now, lifetimeMs: 86_400_000 });
 */
export async function issueServingCertificate(options: {
  signer: Signer;
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  now: Date;
  lifetimeMs: number;
}): Promise<ServingState> {
  const { signer, now } = options;
  const ca = new x509.X509Certificate(signer.certificate);
  const notBefore = new Date(Math.max(now.getTime() - BACKDATE_MS, ca.notBefore.getTime()));
  const notAfter = new Date(Math.min(now.getTime() + options.lifetimeMs, ca.notAfter.getTime()));
  if (notAfter <= now) throw new RangeError("`signer` is not valid now");
  const algorithm = signer.key.algorithm;
  const key = { algorithm, seed: nativeSignature.generateSeed(algorithm) };
  const keys = signingKeyPair(key);
  const caKeyId = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumber(),
      subject: [{ CN: ["LatticeGuard issuance API"] }],
      issuer: ca.subjectName,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: signingKeyPair(signer.key).privateKey,
      signingAlgorithm: { name: algorithm },
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension([
          ...options.dnsNames.map((value) => ({ type: "dns" as const, value })),
          ...options.ipAddresses.map((value) => ({ type: "ip" as const, value })),
        ]),
        caKeyId === undefined
          ? await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey, false, WEBCRYPTO)
          : new x509.AuthorityKeyIdentifierExtension(caKeyId, false),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, WEBCRYPTO),
      ],
    },
    WEBCRYPTO,
  );
  return {
    pair: { cert: withNewline(certificate.toString("pem")), key: privateKeyPem(key) },
    signerCertificate: signer.certificate,
    notBefore,
    notAfter,
  };
}

/**
 * Whether to issue a new serving certificate now: there is a signer and either no certificate yet, one
 * from another signer, or one past two thirds of its lifetime. Pure.
 *
 * @example
 * servingRenewalDue(state, authority.signer(), new Date()); // true after an anchor rotation
 */
export function servingRenewalDue(
  state: ServingState | undefined,
  signer: Signer | undefined,
  now: Date,
): boolean {
  if (!signer) return false;
  if (!state || state.signerCertificate !== signer.certificate) return true;
  const start = state.notBefore.getTime();
  return now.getTime() >= start + ((state.notAfter.getTime() - start) * 2) / 3;
}

/**
 * Where serving certificates come from and what they name.
 *
 * @example
 * const options: ServingOptions = { authority, dnsNames: ["latticeguard-issuer.latticeguard-system.svc"], log };
 */
export interface ServingOptions {
  authority: IssuingAuthority;
  dnsNames: readonly string[];
  /** Default `["127.0.0.1"]`. */
  ipAddresses?: readonly string[];
  /** Default 24 hours. */
  lifetimeMs?: number;
  /** Default 10 seconds. */
  checkIntervalMs?: number;
  clock?: Clock;
  log: Logger;
}

/**
 * Keeps a serving certificate from `authority` current; subscribers get every new one.
 *
 * @example
 * const serving = new ServingCertificates({ authority, dnsNames, log });
 * serving.start();
 * await serving.whenReady();
 */
export class ServingCertificates extends ChangeFeed {
  private state: ServingState | undefined;
  private timer: Timer | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly clock: Clock;
  private readonly options: ServingOptions;

  constructor(options: ServingOptions) {
    super();
    this.options = options;
    this.clock = options.clock ?? realClock;
  }

  /** Checks now, then every `checkIntervalMs`. */
  start(): void {
    const tick = () => {
      if (this.stopped) return;
      void this.refresh().finally(() => {
        if (!this.stopped)
          this.timer = this.clock.setTimer(this.options.checkIntervalMs ?? 10_000, tick);
      });
    };
    tick();
  }

  /** Issues a new certificate if one is due (one check at a time); never rejects. */
  refresh(): Promise<void> {
    this.running ??= this.check().finally(() => (this.running = undefined));
    return this.running;
  }

  private async check(): Promise<void> {
    const signer = this.options.authority.signer();
    const now = this.clock.now();
    if (!servingRenewalDue(this.state, signer, now)) return;
    try {
      this.state = await issueServingCertificate({
        signer: signer!,
        dnsNames: this.options.dnsNames,
        ipAddresses: this.options.ipAddresses ?? ["127.0.0.1"],
        now,
        lifetimeMs: this.options.lifetimeMs ?? 86_400_000,
      });
      this.publish(this.state.pair);
      const issuer = new X509Certificate(signer!.certificate).subject;
      this.options.log.info(
        { notAfter: this.state.notAfter.toISOString(), issuer },
        "Issued issuance API serving certificate",
      );
    } catch (error) {
      this.options.log.error({ err: error }, "Failed to issue issuance API serving certificate");
    }
  }

  /** Stops checking; waits for a check in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }
}
