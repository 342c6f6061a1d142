/**
 * The {@link IssuingAuthority} every replica signs with: read from the informer cache of the anchor
 * Secret, so it answers on followers as well as on the leader (only the leader writes the Secret). The
 * Secret is decoded and checked (see `anchor-secret.ts`) once per resourceVersion, not per call; problems
 * are left to the trust anchor controller to report and repair. An anchor is trusted until its `notAfter`
 * even if the controller has not yet removed it, and no longer after.
 *
 * @example
 * const authority = secretAuthority(secrets, "latticeguard-system", "latticeguard-trust-anchor");
 * const signer = authority.signer(); // undefined until the first anchor exists
 * const bundle = authority.bundle(); // PEMs, the signer first
 */
import type { V1Secret } from "@kubernetes/client-node";
import type { Cache } from "../../kube/cache.ts";
import type { StoredAnchor } from "./material.ts";
import { decodeAnchors } from "./secret.ts";
import type { IssuingAuthority, Signer } from "../authority.ts";
import { bundleAnchors } from "./bundle.ts";

/**
 * An {@link IssuingAuthority} that also says which anchor signs, for logs and responses.
 *
 * @example
 * const { id, notAfter } = authority.signerAnchor() ?? {};
 */
export interface SecretAuthority extends IssuingAuthority {
  /** The signing anchor's record (no key material), or undefined while there is none. */
  signerAnchor(): Omit<StoredAnchor, "seed" | "certificate"> | undefined;
}

/**
 * The authority of the anchors in Secret `namespace/secretName`, read through `secrets` (an informer
 * cache that sees the Secret: the operator's `managed-by` Secrets informer). `now` is for tests.
 *
 * @example
 * const authority = secretAuthority(secretsInformer, config.namespace, config.identity.anchorSecret);
 */
export function secretAuthority(
  secrets: Cache<V1Secret>,
  namespace: string,
  secretName: string,
  now: () => number = Date.now,
): SecretAuthority {
  const key = `${namespace}/${secretName}`;
  let decoded: { version: string | undefined; anchors: StoredAnchor[] } | undefined;
  const anchors = (): StoredAnchor[] => {
    const secret = secrets.get(key);
    if (!secret) return [];
    const version = secret.metadata?.resourceVersion;
    if (!decoded || version === undefined || decoded.version !== version) {
      decoded = { version, anchors: decodeAnchors(secret.data).anchors };
    }
    return decoded.anchors;
  };
  const active = () => {
    const t = now();
    return anchors().find((a) => a.state === "active" && a.notBefore <= t && t < a.notAfter);
  };
  return {
    signer(): Signer | undefined {
      const anchor = active();
      if (!anchor) return undefined;
      return {
        certificate: anchor.certificate,
        key: { algorithm: anchor.algorithm, seed: anchor.seed },
      };
    },
    bundle: () => bundleAnchors(anchors(), now()).map((a) => a.certificate),
    signerAnchor() {
      const anchor = active();
      if (!anchor) return undefined;
      const { seed: _seed, certificate: _certificate, ...record } = anchor;
      return record;
    },
  };
}
