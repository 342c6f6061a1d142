import { beforeAll, describe, expect, it } from "vitest";
import {
  createCsr,
  issueCertificate,
  nativeSignature,
  verifyCsr,
  type SigningSeed,
} from "../crypto/index.ts";
import { createAnchor } from "../identity/issuer/static-authority.ts";
import type { Signer } from "../identity/authority.ts";
import { checkAnswer, splitPemBundle } from "./answer.ts";
import type { IssuerAnswer } from "./client.ts";

const SPIFFE = "spiffe://cluster.local/ns/mcp/sa/search";
let anchor: Signer;
let other: Signer;
let key: SigningSeed;

const newKey = (): SigningSeed => ({
  algorithm: "ML-DSA-65",
  seed: nativeSignature.generateSeed("ML-DSA-65"),
});

async function issue(forKey: SigningSeed, by: Signer = anchor): Promise<IssuerAnswer> {
  const now = Date.now();
  const certificate = await issueCertificate({
    issuer: by,
    subjectKey: await verifyCsr(await createCsr({ key: forKey })),
    spiffeId: SPIFFE,
    dnsNames: ["search.mcp.svc"],
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_600_000),
  });
  return {
    certificate,
    bundle: by.certificate,
    spiffeId: SPIFFE,
    notAfter: new Date(now + 3_600_000).toISOString(),
  };
}

beforeAll(async () => {
  [anchor, other] = await Promise.all([createAnchor(), createAnchor()]);
  key = newKey();
});

describe("checkAnswer", () => {
  it("accepts a certificate for its own key that chains to the trusted and the returned bundle", async () => {
    const answer = await issue(key);
    const identity = await checkAnswer(answer, key, [anchor.certificate], new Date());
    expect(identity.spiffeId).toBe(SPIFFE);
    expect(identity.bundle).toBe(anchor.certificate);
    expect(identity.notAfter.getTime() - identity.notBefore.getTime()).toBe(3_660_000);
  });

  it("refuses a certificate for another key", async () => {
    const answer = await issue(newKey());
    await expect(checkAnswer(answer, key, [anchor.certificate], new Date())).rejects.toThrow(
      "does not certify the agent's own key",
    );
  });

  it("refuses a certificate from an anchor the agent does not trust", async () => {
    const answer = await issue(key, other);
    await expect(checkAnswer(answer, key, [anchor.certificate], new Date())).rejects.toThrow(
      "is not signed by any CA",
    );
  });

  it("refuses a returned bundle that does not hold the issuing anchor", async () => {
    const answer = { ...(await issue(key)), bundle: other.certificate };
    await expect(checkAnswer(answer, key, [anchor.certificate], new Date())).rejects.toThrow(
      "does not chain to the bundle that came with it",
    );
  });

  it("refuses an answer whose SPIFFE ID is not the certificate's", async () => {
    const answer = { ...(await issue(key)), spiffeId: "spiffe://cluster.local/ns/mcp/sa/admin" };
    await expect(checkAnswer(answer, key, [anchor.certificate], new Date())).rejects.toThrow(
      "SPIFFE ID",
    );
  });

  it("refuses an answer without a bundle", async () => {
    const answer = { ...(await issue(key)), bundle: "" };
    await expect(checkAnswer(answer, key, [anchor.certificate], new Date())).rejects.toThrow(
      "no trust bundle",
    );
  });

  it("refuses a certificate that is not valid at the time given", async () => {
    const answer = await issue(key);
    await expect(
      checkAnswer(answer, key, [anchor.certificate], new Date(Date.now() + 7_200_000)),
    ).rejects.toThrow("expired");
  });
});

describe("splitPemBundle", () => {
  it("splits certificates, ignoring other blocks and text, each ending in a newline", () => {
    const a = anchor.certificate.trimEnd();
    const bundle = `# comment\n${a}\n-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n${other.certificate}`;
    expect(splitPemBundle(bundle)).toEqual([`${a}\n`, other.certificate]);
    expect(splitPemBundle("")).toEqual([]);
  });
});
