/**
 * The TLS endpoints LatticeGuard itself serves, with the key-exchange groups each offers, most preferred
 * first, as compiled in (they are not flags): the issuance API offers post-quantum hybrids only; the
 * admission webhook prefers them and falls back to classical groups (X25519, P-256, P-384) for an API
 * server that offers no hybrid, so the CBOM shows those at quantum security level 0.
 *
 * @example
 * latticeguardTransport({ webhook: true, issuer: true }).map((t) => t.name); // ["admission webhook", "issuance API"]
 */
import { ISSUER_TLS_GROUPS } from "../identity/issuer/server.ts";
import { DEFAULT_TLS_GROUPS } from "../../webhook/server.ts";
import type { ServedTransport } from "./inventory.ts";

/** OpenSSL's group list syntax: `:` separates groups, `/` preference tiers. */
const groups = (list: string) => list.split(/[:/]/).filter(Boolean);

/**
 * The endpoints that are on.
 *
 * @example
 * latticeguardTransport({ webhook: false, issuer: true }); // [{ name: "issuance API", groups: [...] }]
 */
export function latticeguardTransport(on: {
  webhook: boolean;
  issuer: boolean;
}): ServedTransport[] {
  return [
    ...(on.webhook ? [{ name: "admission webhook", groups: groups(DEFAULT_TLS_GROUPS) }] : []),
    ...(on.issuer ? [{ name: "issuance API", groups: groups(ISSUER_TLS_GROUPS) }] : []),
  ];
}
