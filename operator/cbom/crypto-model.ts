/**
 * CycloneDX 1.6 cryptographic assets on top of `@cyclonedx/cyclonedx-library`. The library (10.x)
 * models and serializes components of type `cryptographic-asset` but not their `cryptoProperties`; a
 * {@link CryptoAsset} is a library Component that carries them, and {@link serializeCbom} serializes
 * with a normalizer that writes them where the 1.6 schema puts them. Everything else (metadata, services,
 * properties, hashes, the dependency graph) is the library's own.
 *
 * The {@link CryptoProperties} types are the part of the 1.6 schema (`definitions.cryptoProperties`)
 * LatticeGuard fills; the schema itself checks the output in the tests.
 *
 * @example
 * const alg = new CryptoAsset("ML-KEM-768", { assetType: "algorithm", oid: "2.16.840.1.101.3.4.4.2" },
 *   { bomRef: "algorithm/ML-KEM-768" });
 * bom.components.add(alg);
 * serializeCbom(bom); // '{ "bomFormat": "CycloneDX", "specVersion": "1.6", … }'
 */
import { Enums, Models, Serialize, Spec } from "@cyclonedx/cyclonedx-library";
import type { CryptoFunction, Primitive } from "./algorithms.ts";

/**
 * `cryptoProperties.algorithmProperties`.
 *
 * @example
 * const p: AlgorithmProperties = { primitive: "kem", parameterSetIdentifier: "768", nistQuantumSecurityLevel: 3 };
 */
export interface AlgorithmProperties {
  primitive: Primitive;
  parameterSetIdentifier?: string;
  curve?: string;
  cryptoFunctions?: CryptoFunction[];
  classicalSecurityLevel?: number;
  nistQuantumSecurityLevel?: number;
}

/**
 * `cryptoProperties.certificateProperties`; the refs name algorithm components.
 *
 * @example
 * const p: CertificateProperties = { subjectName: "CN=LatticeGuard trust anchor, O=cluster.local", certificateFormat: "X.509" };
 */
export interface CertificateProperties {
  subjectName?: string;
  issuerName?: string;
  notValidBefore?: string;
  notValidAfter?: string;
  signatureAlgorithmRef?: string;
  certificateFormat?: string;
  certificateExtension?: string;
}

/**
 * A key's lifecycle state in NIST SP 800-57's terms, as CycloneDX 1.6 names them.
 *
 * @example
 * const state: KeyLifecycleState = "deactivated"; // may decrypt, never encrypts again
 */
export type KeyLifecycleState = "pre-activation" | "active" | "deactivated" | "destroyed";

/**
 * `cryptoProperties.relatedCryptoMaterialProperties`. There is no `value`: the CBOM never carries key
 * material.
 *
 * @example
 * const p: RelatedCryptoMaterialProperties = { type: "public-key", id: "mlkem768-…", state: "active" };
 */
export interface RelatedCryptoMaterialProperties {
  type: "public-key";
  id?: string;
  state?: KeyLifecycleState;
  algorithmRef?: string;
  activationDate?: string;
  expirationDate?: string;
  size?: number;
  format?: string;
}

/**
 * `cryptoProperties.protocolProperties`; `cryptoRefArray` names the algorithm components (key-exchange
 * groups) the protocol uses or allows.
 *
 * @example
 * const p: ProtocolProperties = { type: "tls", version: "1.3", cryptoRefArray: ["algorithm/X25519MLKEM768"] };
 */
export interface ProtocolProperties {
  type: "tls" | "unknown";
  version?: string;
  cipherSuites?: { name?: string; algorithms?: string[]; identifiers?: string[] }[];
  cryptoRefArray?: string[];
}

/**
 * A component's `cryptoProperties`, one kind of asset at a time.
 *
 * @example
 * const cp: CryptoProperties = { assetType: "protocol", protocolProperties: { type: "tls", version: "1.3" } };
 */
export type CryptoProperties =
  | { assetType: "algorithm"; algorithmProperties: AlgorithmProperties; oid?: string }
  | { assetType: "certificate"; certificateProperties: CertificateProperties }
  | {
      assetType: "related-crypto-material";
      relatedCryptoMaterialProperties: RelatedCryptoMaterialProperties;
    }
  | { assetType: "protocol"; protocolProperties: ProtocolProperties };

/**
 * A `cryptographic-asset` component with its `cryptoProperties`.
 *
 * @example
 * new CryptoAsset("mlkem768-0123456789abcdef", { assetType: "related-crypto-material",
 *   relatedCryptoMaterialProperties: { type: "public-key" } }, { bomRef: "kem-key/mcp/weather/mlkem768-0123456789abcdef" });
 */
export class CryptoAsset extends Models.Component {
  readonly cryptoProperties: CryptoProperties;

  constructor(
    name: string,
    cryptoProperties: CryptoProperties,
    options: Models.OptionalComponentProperties = {},
  ) {
    super(Enums.ComponentType.CryptographicAsset, name, options);
    this.cryptoProperties = cryptoProperties;
  }
}

/** The library's component normalizer, plus `cryptoProperties` for a {@link CryptoAsset}. */
class CryptoComponentNormalizer extends Serialize.JSON.Normalize.ComponentNormalizer {
  override normalize(
    data: Models.Component,
    options: Serialize.Types.NormalizerOptions,
  ): Serialize.JSON.Types.Normalized.Component | undefined {
    const normalized = super.normalize(data, options);
    if (!normalized || !(data instanceof CryptoAsset)) return normalized;
    return { ...normalized, cryptoProperties: data.cryptoProperties } as typeof normalized;
  }
}

/** The library's CycloneDX 1.6 JSON normalizers, with {@link CryptoComponentNormalizer} for components. */
class CbomNormalizerFactory extends Serialize.JSON.Normalize.Factory {
  override makeForComponent(): Serialize.JSON.Normalize.ComponentNormalizer {
    return new CryptoComponentNormalizer(this);
  }
}

/**
 * The CycloneDX spec version the CBOM follows.
 *
 * @example
 * CBOM_SPEC_VERSION; // "1.6"
 */
export const CBOM_SPEC_VERSION = Spec.Version.v1dot6;

/**
 * The media type of a CycloneDX 1.6 JSON document.
 *
 * @example
 * res.type(CBOM_MEDIA_TYPE).send(serializeCbom(bom));
 */
export const CBOM_MEDIA_TYPE = "application/vnd.cyclonedx+json; version=1.6";

/**
 * `bom` as CycloneDX 1.6 JSON, with lists sorted so the same cluster gives the same document.
 *
 * @example
 * process.stdout.write(serializeCbom(buildCbom(inventory, new Date())));
 */
export function serializeCbom(bom: Models.Bom): string {
  const serializer = new Serialize.JsonSerializer(new CbomNormalizerFactory(Spec.Spec1dot6));
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}
