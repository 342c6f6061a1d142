// The anchor Secret with real keys and certificates: what is written reads back, and every kind of edit is
// noticed, named, and the anchor it touches left out.
import { beforeAll, describe, expect, it } from "vitest";
import {
  createCaCertificate,
  createCsr,
  issueCertificate,
  nativeSignature,
  verifyCsr,
} from "../../crypto/index.ts";
import { anchorId, createAnchor, type StoredAnchor } from "./material.ts";
import { ANCHORS_ENTRY, anchorEntries, decodeAnchors, encodeAnchors } from "./secret.ts";

const HOUR = 3_600_000;
const T0 = Date.parse("2026-11-21T12:00:00Z");
const DOMAIN = "cluster.local";

let active: StoredAnchor;
let next: StoredAnchor;
beforeAll(async () => {
  const step = { op: "create", trustDomain: DOMAIN, notBefore: T0, notAfter: T0 + 720 * HOUR };
  active = await createAnchor({ ...step, op: "create", state: "active", algorithm: "ML-DSA-87" });
  next = await createAnchor({
    ...step,
    op: "create",
    state: "next",
    algorithm: "ML-DSA-65",
    notBefore: T0 + 360 * HOUR,
    notAfter: T0 + 1080 * HOUR,
  });
});

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString("base64");
const metadata = (data: Record<string, string>) =>
  JSON.parse(Buffer.from(data[ANCHORS_ENTRY]!, "base64").toString()) as Record<string, unknown>[];
const withMetadata = (
  data: Record<string, string>,
  edit: (e: Record<string, unknown>[]) => void,
) => {
  const entries = metadata(data);
  edit(entries);
  return { ...data, [ANCHORS_ENTRY]: b64(JSON.stringify(entries)) };
};

describe("the anchor Secret", () => {
  it("reads back exactly what was written", () => {
    const decoded = decodeAnchors(encodeAnchors([active, next]));
    expect(decoded.problems).toEqual([]);
    expect(decoded.anchors).toEqual([active, next]);
  });

  it("names anchors by their key and keeps no key material in the metadata", () => {
    const data = encodeAnchors([active]);
    const publicKey = nativeSignature.publicKey("ML-DSA-87", active.seed);
    expect(active.id).toBe(anchorId("ML-DSA-87", publicKey));
    expect(active.id).toMatch(/^mldsa87-[0-9a-f]{16}$/);
    expect(Object.keys(data).sort()).toEqual(
      [ANCHORS_ENTRY, `${active.id}.crt`, `${active.id}.seed`].sort(),
    );
    expect(Object.keys(metadata(data)[0]!).sort()).toEqual(
      ["algorithm", "id", "notAfter", "notBefore", "state", "trustDomain"].sort(),
    );
    expect(metadata(data)[0]).toMatchObject({
      notBefore: "2026-11-21T12:00:00.000Z",
      notAfter: "2026-12-21T12:00:00.000Z",
    });
  });

  it("reads nothing from no Secret, without complaint", () => {
    expect(decodeAnchors(undefined)).toEqual({ anchors: [], problems: [] });
  });

  it.each<[string, (data: Record<string, string>) => Record<string, string>, RegExp]>([
    [
      "a seed swapped for another anchor's",
      (d) => ({ ...d, [anchorEntries(active.id).seed]: b64(next.seed) }),
      /seed that does not match its certificate/,
    ],
    [
      "a seed of the right size from another key",
      (d) => ({
        ...d,
        [anchorEntries(active.id).seed]: b64(nativeSignature.generateSeed("ML-DSA-87")),
      }),
      /seed that does not match its certificate/,
    ],
    ["a missing seed", (d) => ({ ...d, [anchorEntries(active.id).seed]: "" }), /does not parse/],
    [
      "two certificates in one entry",
      (d) => ({
        ...d,
        [anchorEntries(active.id).certificate]: b64(active.certificate + next.certificate),
      }),
      /is not one PEM certificate/,
    ],
    [
      "an edited notAfter",
      (d) => withMetadata(d, (e) => (e[0]!.notAfter = "2027-01-01T00:00:00.000Z")),
      /validity that differs/,
    ],
    [
      "an edited trust domain",
      (d) => withMetadata(d, (e) => (e[0]!.trustDomain = "evil.example")),
      /trust domain that differs/,
    ],
    [
      "an edited algorithm",
      (d) => withMetadata(d, (e) => (e[0]!.algorithm = "ML-DSA-44")),
      /seed that does not match its certificate/,
    ],
  ])("drops the anchor and says so after %s", (_name, tamper, message) => {
    const decoded = decodeAnchors(tamper(encodeAnchors([active, next])));
    expect(decoded.anchors.map((a) => a.id)).toEqual([next.id]);
    expect(decoded.problems).toHaveLength(1);
    expect(decoded.problems[0]).toMatch(new RegExp(`^anchor ${active.id} `));
    expect(decoded.problems[0]).toMatch(message);
  });

  it("drops an anchor whose id is not its key's, even with its entries renamed to match", () => {
    const fake = "mldsa87-0000000000000000";
    const data = encodeAnchors([{ ...active, id: fake }]);
    const decoded = decodeAnchors(data);
    expect(decoded.anchors).toEqual([]);
    expect(decoded.problems).toEqual([
      `anchor ${fake} has an id that is not its key's: dropped it`,
    ]);
  });

  it("drops a certificate for the anchor's key that is not its self-signed CA", async () => {
    const key = {
      algorithm: "ML-DSA-87" as const,
      seed: nativeSignature.generateSeed("ML-DSA-87"),
    };
    const window = { notBefore: new Date(T0), notAfter: new Date(T0 + 720 * HOUR) };
    const issuer = {
      key,
      certificate: await createCaCertificate({ key, trustDomain: DOMAIN, ...window }),
    };
    const leaf = await issueCertificate({
      issuer,
      subjectKey: await verifyCsr(await createCsr({ key: active })),
      spiffeId: `spiffe://${DOMAIN}/ns/mcp/sa/anchor`,
      notBefore: new Date(T0),
      notAfter: new Date(T0 + HOUR),
    });
    const data = { ...encodeAnchors([active]), [anchorEntries(active.id).certificate]: b64(leaf) };
    expect(decodeAnchors(data).problems).toEqual([
      `anchor ${active.id} is not a self-signed CA: dropped it`,
    ]);
  });

  it("keeps the first of two anchors in one state and reports the second", () => {
    const data = encodeAnchors([active, { ...next, state: "active" }]);
    const decoded = decodeAnchors(data);
    expect(decoded.anchors.map((a) => a.id)).toEqual([active.id]);
    expect(decoded.problems).toEqual([
      `anchor ${next.id} repeats ${active.id}'s id or state: dropped it`,
    ]);
  });

  it.each([
    ["metadata that is not JSON", b64("{nope"), `${ANCHORS_ENTRY} is not a JSON list of anchors`],
    [
      "a record that is not an anchor",
      b64(JSON.stringify([{ id: "x", state: "active" }])),
      `${ANCHORS_ENTRY} has an entry that is not a valid anchor record`,
    ],
  ])("reports %s", (_name, raw, problem) => {
    const data = { ...encodeAnchors([active]), [ANCHORS_ENTRY]: raw };
    expect(decodeAnchors(data)).toEqual({ anchors: [], problems: [problem] });
  });
});
