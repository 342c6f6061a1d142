/**
 * What a TLS client connection negotiated, named the same way by every LatticeGuard client that
 * reports it: the outbound proxy's handshake metric, the handshake probe and shadow discovery's probe.
 *
 * @example
 * socket.once("secureConnect", () => negotiatedGroup(socket)); // "X25519MLKEM768"
 */
import type { TLSSocket } from "node:tls";

/** OpenSSL's names that differ from the IANA TLS Supported Groups registry's. */
const IANA_GROUPS: Readonly<Record<string, string>> = { prime256v1: "secp256r1" };

/**
 * The key-exchange group a connected client socket negotiated, by its IANA name (`unknown` when
 * OpenSSL does not say; only a client learns it).
 *
 * @example
 * socket.once("secureConnect", () => negotiatedGroup(socket)); // "X25519MLKEM768"
 */
export function negotiatedGroup(socket: TLSSocket): string {
  // @types/node knows only { type: "DH" | "ECDH" }; for a TLS 1.3 group Node 24 reports "TLSGroup".
  const name = (socket.getEphemeralKeyInfo() as { name?: string } | null)?.name ?? "unknown";
  return IANA_GROUPS[name] ?? name;
}
