/**
 * Writes to the API server, all with server-side apply under one field manager, `latticeguard`. Child
 * objects carry a controller owner reference, so deleting their owner deletes them. A write that must not
 * race another (a keyring Secret) passes the resourceVersion it read: the API server then refuses it with
 * 409 Conflict if anything changed in between, and the reconcile is retried against fresh state.
 *
 * @example
 * await writer.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data });
 */
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type V1OwnerReference,
  type V1Secret,
} from "@kubernetes/client-node";
import { GROUP, VERSION } from "../api/crd.ts";

/** The field manager of every LatticeGuard write. */
export const FIELD_MANAGER = "latticeguard";

/**
 * The field manager of the issuance API's status writes (`status.identity`), which run on any replica:
 * fields it owns are left alone by the controllers' applies, which do not include them.
 */
export const ISSUER_FIELD_MANAGER = "latticeguard-issuer";

/**
 * The field manager of the handshake probe's status writes (`status.transport`, leader only): the
 * MCPServer reconciler's applies leave the field out, so it stays the probe's.
 */
export const PROBE_FIELD_MANAGER = "latticeguard-probe";

/** Labels on every object LatticeGuard creates, for selection by informers and humans. */
export const MANAGED_LABELS = {
  "app.kubernetes.io/managed-by": "latticeguard",
} as const;

/** A controller owner reference to `owner`. */
export function ownerReference(owner: KubernetesObject): V1OwnerReference {
  return {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata!.name!,
    uid: owner.metadata!.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether an error is the API server's 409 (a conflict or an object that already exists). */
export function isConflict(error: unknown): boolean {
  return error instanceof ApiException && error.code === 409;
}

/** Whether an error is the API server's 404. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

/** The writes LatticeGuard's controllers make. */
export interface Writer {
  /**
   * Removes entries from a Secret's `data`, only if it is still at the resourceVersion given (else 409):
   * entries that no apply of ours owns (written by hand, or by an older version) and so would never go
   * away.
   */
  removeSecretEntries(secret: V1Secret, keys: readonly string[]): Promise<V1Secret>;
  /** Reads a Secret from the API server itself, not a cache; undefined when it does not exist. */
  readSecret(namespace: string, name: string): Promise<V1Secret | undefined>;
  /**
   * Merge-patches `labels` onto a Secret (other labels stay), only if it is still at the resourceVersion
   * given (else 409): for a Secret of ours that lost the label our informer selects on.
   */
  labelSecret(secret: V1Secret, labels: Readonly<Record<string, string>>): Promise<V1Secret>;
  /** Server-side applies `object`; with `metadata.resourceVersion` set, only if it is unchanged. */
  apply<T extends KubernetesObject>(object: T): Promise<T>;
  /** Creates `object`; fails with 409 if it exists (so two writers cannot both create it). */
  create<T extends KubernetesObject>(object: T): Promise<T>;
  /** Server-side applies the status of a LatticeGuard object. */
  applyStatus(
    object: { kind: string; metadata: { name: string; namespace?: string } },
    plural: string,
    status: object,
    fieldManager?: string,
  ): Promise<void>;
}

/** A Writer that talks to the API server of `kc`. */
export function apiWriter(kc: KubeConfig): Writer {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const applyContentType = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    // A merge patch carrying the resourceVersion read: the API server answers 409 if it changed.
    removeSecretEntries: (secret, keys) =>
      core.patchNamespacedSecret(
        {
          name: secret.metadata!.name!,
          namespace: secret.metadata!.namespace!,
          body: {
            metadata: { resourceVersion: secret.metadata!.resourceVersion },
            data: Object.fromEntries(keys.map((k) => [k, null])),
          },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    readSecret: (namespace, name) =>
      core.readNamespacedSecret({ name, namespace }).catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      }),
    labelSecret: (secret, labels) =>
      core.patchNamespacedSecret(
        {
          name: secret.metadata!.name!,
          namespace: secret.metadata!.namespace!,
          body: { metadata: { resourceVersion: secret.metadata!.resourceVersion, labels } },
          fieldManager: FIELD_MANAGER,
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    apply: (object) =>
      objects.patch(
        object,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      ),
    create: (object) => objects.create(object, undefined, undefined, FIELD_MANAGER),
    async applyStatus(object, plural, status, fieldManager = FIELD_MANAGER) {
      const { name, namespace } = object.metadata;
      const body = {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: object.kind,
        metadata: { name, ...(namespace && { namespace }) },
        status,
      };
      const common = {
        group: GROUP,
        version: VERSION,
        plural,
        name,
        body,
        fieldManager,
        force: true,
      };
      await (namespace
        ? custom.patchNamespacedCustomObjectStatus({ ...common, namespace }, applyContentType)
        : custom.patchClusterCustomObjectStatus(common, applyContentType));
    },
  };
}

/**
 * Writes an object no stale or second writer may overwrite, such as a Secret of private keys. Absent
 * (`current` undefined), it is first created as `shell` (metadata and immutable fields, no data): a second
 * writer creating it too gets 409. Then the full object is applied, guarded by the resourceVersion read, so
 * every data field belongs to the one apply manager and a field left out of a later apply is removed.
 *
 * @example
 * const written = await applyGuarded(writer, cachedSecret, { ...secret, data: undefined }, secret);
 */
export async function applyGuarded<T extends KubernetesObject>(
  writer: Writer,
  current: T | undefined,
  shell: T,
  full: T,
): Promise<T> {
  const base = current ?? (await writer.create(shell));
  const resourceVersion = base.metadata!.resourceVersion!;
  return writer.apply({ ...full, metadata: { ...full.metadata, resourceVersion } });
}
