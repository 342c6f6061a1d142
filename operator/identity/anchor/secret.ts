/**
 * How the trust anchors are stored: Secret `latticeguard-trust-anchor` (name configurable) in the
 * operator's namespace holds `anchors.json` (per anchor: id, algorithm, state, trust domain, notBefore,
 * notAfter) and per anchor `<id>.seed` (the 32-byte ML-DSA seed) and `<id>.crt` (its self-signed CA
 * certificate, PEM). Reading checks every anchor against its certificate: the certificate must be a
 * self-signed ML-DSA CA for the seed's key, with that id, algorithm, trust domain and validity. Anything that
 * does not agree is left out and reported, so a Secret edited by hand is repaired rather than trusted.
 *
 * @example
 * const { anchors, problems } = decodeAnchors(secret.data);
 * const data = encodeAnchors(anchors);
 */
import { X509Certificate } from "node:crypto";
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from "../../api/algorithms.ts";
import { ANCHOR_ID_PATTERN, anchorId, anchorPublicKey, type StoredAnchor } from "./material.ts";
import type { AnchorState } from "./rotation.ts";

/**
 * The Secret entry that holds the anchors' metadata.
 *
 * @example
 * JSON.parse(Buffer.from(secret.data[ANCHORS_ENTRY], "base64").toString()); // [{ id, state, … }]
 */
export const ANCHORS_ENTRY = "anchors.json";

/**
 * The Secret entries of one anchor: its seed and its certificate.
 *
 * @example
 * secret.data[anchorEntries(id).certificate]; // base64 of the PEM
 */
export function anchorEntries(id: string): { seed: string; certificate: string } {
  return { seed: `${id}.seed`, certificate: `${id}.crt` };
}

interface StoredEntry {
  id: string;
  algorithm: SignatureAlgorithm;
  state: AnchorState;
  trustDomain: string;
  notBefore: string;
  notAfter: string;
}

/**
 * Anchors read back from their Secret.
 *
 * @example
 * const { anchors, problems }: DecodedAnchors = decodeAnchors(secret?.data);
 */
export interface DecodedAnchors {
  anchors: StoredAnchor[];
  /** What was wrong with the Secret and has been left out; empty when it was intact. */
  problems: string[];
}

const STATES: readonly AnchorState[] = ["next", "active", "retiring"];
const isTime = (value: unknown) => typeof value === "string" && !Number.isNaN(Date.parse(value));

function isStoredEntry(x: unknown): x is StoredEntry {
  const e = x as Partial<StoredEntry> | null;
  return (
    typeof e?.id === "string" &&
    ANCHOR_ID_PATTERN.test(e.id) &&
    SIGNATURE_ALGORITHMS.includes(e.algorithm!) &&
    STATES.includes(e.state!) &&
    typeof e.trustDomain === "string" &&
    isTime(e.notBefore) &&
    isTime(e.notAfter)
  );
}

function parseEntries(raw: string | undefined, problems: string[]): unknown[] {
  if (raw === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, "base64").toString("utf8"));
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // reported below
  }
  problems.push(`${ANCHORS_ENTRY} is not a JSON list of anchors`);
  return [];
}

/** Why `seed` and `pem` are not the anchor `entry` describes, or undefined when they are. */
function mismatch(entry: StoredEntry, seed: Uint8Array, pem: string): string | undefined {
  if (pem.match(/-----BEGIN CERTIFICATE-----/g)?.length !== 1) return "is not one PEM certificate";
  let publicKey: Uint8Array;
  let certificate: X509Certificate;
  try {
    publicKey = anchorPublicKey(entry.algorithm, seed);
    certificate = new X509Certificate(pem);
  } catch {
    return "has a seed or certificate that does not parse";
  }
  const certified = certificate.publicKey;
  const raw = new Uint8Array(certified.export({ format: "raw-public" }));
  if (certified.asymmetricKeyType !== entry.algorithm.toLowerCase() || !equal(raw, publicKey))
    return "has a seed that does not match its certificate";
  if (anchorId(entry.algorithm, publicKey) !== entry.id) return "has an id that is not its key's";
  if (!certificate.ca || !certificate.verify(certified)) return "is not a self-signed CA";
  const window = [certificate.validFromDate.getTime(), certificate.validToDate.getTime()];
  if (window[0] !== Date.parse(entry.notBefore) || window[1] !== Date.parse(entry.notAfter))
    return "has a validity that differs from its certificate's";
  if (certificate.subjectAltName !== `URI:spiffe://${entry.trustDomain}`)
    return "has a trust domain that differs from its certificate's";
  return undefined;
}

/**
 * Reads an anchor Secret's data (values base64, as the API returns them). Never throws.
 *
 * @example
 * decodeAnchors(undefined); // { anchors: [], problems: [] }
 */
export function decodeAnchors(data: Readonly<Record<string, string>> | undefined): DecodedAnchors {
  const problems: string[] = [];
  const anchors: StoredAnchor[] = [];
  for (const entry of parseEntries(data?.[ANCHORS_ENTRY], problems)) {
    if (!isStoredEntry(entry)) {
      problems.push(`${ANCHORS_ENTRY} has an entry that is not a valid anchor record`);
      continue;
    }
    const names = anchorEntries(entry.id);
    const seed = new Uint8Array(Buffer.from(data?.[names.seed] ?? "", "base64"));
    const certificate = Buffer.from(data?.[names.certificate] ?? "", "base64").toString("utf8");
    const wrong = mismatch(entry, seed, certificate);
    const taken = anchors.find(
      (a) => a.id === entry.id || (a.state === entry.state && entry.state !== "retiring"),
    );
    if (wrong) problems.push(`anchor ${entry.id} ${wrong}: dropped it`);
    else if (taken)
      problems.push(`anchor ${entry.id} repeats ${taken.id}'s id or state: dropped it`);
    else {
      const { notBefore, notAfter, ...rest } = entry;
      anchors.push({
        ...rest,
        notBefore: Date.parse(notBefore),
        notAfter: Date.parse(notAfter),
        seed,
        certificate,
      });
    }
  }
  return { anchors, problems };
}

/**
 * The Secret data (base64 values) for `anchors`.
 *
 * @example
 * await writer.apply({ apiVersion: "v1", kind: "Secret", metadata, data: encodeAnchors(anchors) });
 */
export function encodeAnchors(anchors: readonly StoredAnchor[]): Record<string, string> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const entries: StoredEntry[] = anchors.map((a) => ({
    id: a.id,
    algorithm: a.algorithm,
    state: a.state,
    trustDomain: a.trustDomain,
    notBefore: iso(a.notBefore),
    notAfter: iso(a.notAfter),
  }));
  const data: Record<string, string> = {
    [ANCHORS_ENTRY]: Buffer.from(JSON.stringify(entries)).toString("base64"),
  };
  for (const a of anchors) {
    const names = anchorEntries(a.id);
    data[names.seed] = Buffer.from(a.seed).toString("base64");
    data[names.certificate] = Buffer.from(a.certificate, "utf8").toString("base64");
  }
  return data;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
