/**
 * When the webhook's certificates change: a pure decision over what the Secret holds and the time.
 *
 *     none ──Create──▶ CA₁ + serving₁ (bundle: CA₁)
 *     CA₁ in its last third ──RotateCA──▶ CA₂ is current, bundle: CA₂ + CA₁, serving₁ still served
 *     CA₂ in the bundle for `caPropagationMs` ──IssueServing──▶ serving₂ signed by CA₂
 *     serving in its last third ──IssueServing──▶ a new serving certificate from the current CA
 *     CA₁ expired ──PruneBundle──▶ bundle: CA₂
 *
 * The overlap is what keeps admission working through a CA rotation: the API server trusts the
 * `caBundle` of the ValidatingWebhookConfiguration, so a new CA enters the bundle (and the bundle is
 * patched) first, and only after `caPropagationMs` does any replica serve a certificate it signed; the
 * previous CA stays trusted until it expires, by which time nothing it signed is still valid (a serving
 * certificate never outlives its CA). An expired CA, or unreadable content, starts over (Create).
 *
 * @example
 * const plan = planCertificates(facts, Date.now(), settings);
 * if (plan.action === "Keep") scheduleAt(plan.recheckAt);
 */
import { BACKDATE_MS, type CertFacts, type Hosts } from "./certs.ts";

/**
 * What the Secret holds, as facts: the current CA (whose key it has), every CA in the bundle, and the
 * serving certificate with whether the current CA signed it.
 *
 * @example
 * const facts: StoredFacts = { ca, bundle: [ca], serving: { ...servingFacts, signedByCurrentCA: true } };
 */
export interface StoredFacts {
  ca: CertFacts;
  bundle: CertFacts[];
  serving: CertFacts & { signedByCurrentCA: boolean };
}

/**
 * Lifetimes and names.
 *
 * @example
 * const settings: RotationSettings = { caValidityMs: 365 * DAY_MS, servingValidityMs: 90 * DAY_MS, caPropagationMs: 120_000, hosts };
 */
export interface RotationSettings {
  caValidityMs: number;
  servingValidityMs: number;
  /** How long a new CA is in the bundle before it signs serving certificates. */
  caPropagationMs: number;
  hosts: Hosts;
}

/**
 * What to do now.
 *
 * @example
 * const plan: CertificatePlan = { action: "Keep", recheckAt: Date.now() + 60_000 };
 */
export type CertificatePlan =
  | { action: "Create" | "RotateCA" | "IssueServing" | "PruneBundle"; reason: string }
  | { action: "Keep"; recheckAt: number };

/**
 * Renewal starts when a third of a certificate's lifetime (not counting the backdating) is left, as
 * cert-manager's default.
 */
const renewAt = (c: CertFacts) =>
  c.notAfter - Math.max(0, c.notAfter - c.notBefore - BACKDATE_MS) / 3;

const sameNames = (c: CertFacts, hosts: Hosts) =>
  [...c.dns].sort().join() === [...hosts.dns].sort().join() &&
  [...c.ips].sort().join() === [...hosts.ips].sort().join();

/**
 * The next step for the certificates in `facts` (undefined: none, or unreadable) at `now`.
 *
 * @example
 * planCertificates(undefined, Date.now(), settings); // { action: "Create", reason: "no certificates yet" }
 */
export function planCertificates(
  facts: StoredFacts | undefined,
  now: number,
  settings: RotationSettings,
): CertificatePlan {
  if (!facts) return { action: "Create", reason: "no certificates yet" };
  const { ca, serving, bundle } = facts;
  if (now >= ca.notAfter) return { action: "Create", reason: "the CA expired" };
  if (now >= renewAt(ca)) return { action: "RotateCA", reason: "the CA is in its last third" };
  const caTrustedAt = ca.notBefore + BACKDATE_MS + settings.caPropagationMs;
  const servingExpired = now >= serving.notAfter;
  if (!serving.signedByCurrentCA) {
    if (now >= caTrustedAt || servingExpired)
      return { action: "IssueServing", reason: "the serving certificate is from the previous CA" };
  } else if (servingExpired || now >= renewAt(serving)) {
    return { action: "IssueServing", reason: "the serving certificate is in its last third" };
  } else if (!sameNames(serving, settings.hosts)) {
    return { action: "IssueServing", reason: "the webhook's names changed" };
  }
  if (bundle.some((c) => c.notAfter <= now))
    return { action: "PruneBundle", reason: "an expired CA is in the bundle" };
  const times = [renewAt(ca), ...bundle.map((c) => c.notAfter)];
  times.push(serving.signedByCurrentCA ? renewAt(serving) : caTrustedAt);
  return { action: "Keep", recheckAt: Math.min(...times) };
}
