/**
 * A {@link CertificateSource} that serves what a test hands it, so server tests control exactly when a
 * certificate appears or changes. Also makes a CA and serving certificate for 127.0.0.1.
 *
 * @example
 * const { source, ca } = await loopbackCertificates();
 * source.publish(newPair);
 */
import { DAY_MS, createCA, issueServing, type PemPair } from "../../operator/tls/certs.ts";
import { ChangeFeed, type CertificateSource } from "../../operator/tls/source.ts";

/**
 * A source whose certificate changes only on `publish`.
 *
 * @example
 * const source = new StaticCertificates();
 */
export class StaticCertificates extends ChangeFeed implements CertificateSource {
  start(): void {}
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A CA and a serving certificate for 127.0.0.1, published on a new {@link StaticCertificates}.
 *
 * @example
 * const { source, ca, serving } = await loopbackCertificates();
 */
export async function loopbackCertificates(): Promise<{
  source: StaticCertificates;
  ca: PemPair;
  serving: PemPair;
}> {
  const ca = await createCA(new Date(), DAY_MS);
  const serving = await issueServing(
    ca,
    { dns: ["localhost"], ips: ["127.0.0.1"] },
    new Date(),
    DAY_MS,
  );
  const source = new StaticCertificates();
  source.publish(serving);
  return { source, ca, serving };
}
