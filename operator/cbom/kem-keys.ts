/**
 * An MCPServer's KEM keys as the CBOM reports them: every key its `<name>-kem-public` ConfigMap publishes
 * (`keys.json`: key id, algorithm, HPKE KEM id, state, notBefore, notAfter), and any key `status.kem`
 * names that the ConfigMap does not list yet (a key is written to the Secret, then published, then named
 * in status, so this is rare and brief). The public key itself is read only for its length: the CBOM
 * describes keys, it never carries them. Pure.
 *
 * @example
 * const { keys, problems } = kemKeysOf(server, configMap?.data?.["keys.json"]);
 */
import { KEM_ALGORITHMS, type KemAlgorithm } from "../api/algorithms.ts";
import type { MCPServer } from "../api/types.generated.ts";
import { KEY_ID_PATTERN, KEY_ID_TAGS } from "../crypto/key-id.ts";
import type { KeyState } from "../mcpserver/rotation.ts";
import type { KemKeyAsset } from "./inventory.ts";

const STATES: readonly KeyState[] = ["active", "next", "retiring"];
const isTime = (t: unknown): t is string => typeof t === "string" && !Number.isNaN(Date.parse(t));
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

interface Published {
  keyId: string;
  algorithm: KemAlgorithm;
  state: KeyState;
  notBefore: string;
  notAfter: string;
  hpkeKemId?: unknown;
  publicKey?: unknown;
}

function isPublished(x: unknown): x is Published {
  const k = x as Partial<Published> | null;
  return (
    typeof k?.keyId === "string" &&
    KEY_ID_PATTERN.test(k.keyId) &&
    KEM_ALGORITHMS.includes(k.algorithm!) &&
    STATES.includes(k.state!) &&
    isTime(k.notBefore) &&
    isTime(k.notAfter)
  );
}

/** The algorithm a key id's tag names (`mlkem768-…` is ML-KEM-768). */
function algorithmOfId(id: string): KemAlgorithm | undefined {
  const tag = id.split("-")[0];
  return KEM_ALGORITHMS.find((a) => KEY_ID_TAGS[a] === tag);
}

function parsePublished(text: string | undefined, where: string, problems: string[]): unknown[] {
  if (text === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // reported below
  }
  problems.push(`${where}: keys.json is not a JSON list of keys: its keys are left out`);
  return [];
}

/**
 * The keys of `server`, from its published `keys.json` text (undefined when there is no ConfigMap) and
 * its status; a sentence for each entry left out.
 *
 * @example
 * kemKeysOf(server, undefined).keys; // only what status.kem names, published: false
 */
export function kemKeysOf(
  server: MCPServer,
  keysJson: string | undefined,
): { keys: KemKeyAsset[]; problems: string[] } {
  const namespace = server.metadata.namespace ?? "";
  const mcpserver = server.metadata.name ?? "";
  const where = `ConfigMap ${namespace}/${mcpserver}-kem-public`;
  const problems: string[] = [];
  const keys: KemKeyAsset[] = [];
  parsePublished(keysJson, where, problems).forEach((entry, i) => {
    if (!isPublished(entry)) {
      problems.push(`${where}: keys.json entry ${i} is not a published key: left out`);
      return;
    }
    const bits =
      typeof entry.publicKey === "string" && BASE64.test(entry.publicKey)
        ? Buffer.byteLength(entry.publicKey, "base64") * 8
        : undefined;
    keys.push({
      namespace,
      mcpserver,
      keyId: entry.keyId,
      algorithm: entry.algorithm,
      state: entry.state,
      notBefore: new Date(entry.notBefore).toISOString(),
      notAfter: new Date(entry.notAfter).toISOString(),
      ...(typeof entry.hpkeKemId === "number" && { hpkeKemId: entry.hpkeKemId }),
      ...(bits && { publicKeyBits: bits }),
      published: true,
    });
  });
  const kem = server.status?.kem;
  const named: [KeyState, string | undefined][] = [
    ["active", kem?.activeKeyId],
    ["next", kem?.nextKeyId],
    ["retiring", kem?.retiringKeyId],
  ];
  for (const [state, keyId] of named) {
    if (!keyId || keys.some((k) => k.keyId === keyId)) continue;
    const algorithm = algorithmOfId(keyId);
    if (!algorithm) {
      problems.push(
        `MCPServer ${namespace}/${mcpserver}: status names key "${keyId}", which is no key id`,
      );
      continue;
    }
    keys.push({ namespace, mcpserver, keyId, algorithm, state, published: false });
  }
  return { keys, problems };
}
