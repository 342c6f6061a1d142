/**
 * The staged-enforcement part of `make dev`: where the sample policy `migrating` (config/samples) stands
 * on its calendar, as its status reports it.
 *
 * @example
 * console.log((await describeSchedule(kc)).join("\n"));
 */
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../operator/api/crd.ts";
import type { CryptoPolicy } from "../operator/api/types.generated.ts";

const POLICY = "migrating";

/** Resolves with the lines `make dev` prints about the `migrating` policy's schedule. */
export async function describeSchedule(kc: KubeConfig): Promise<string[]> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (let i = 0; i < 60; i++) {
    const policy = (await custom.getClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: "cryptopolicies",
      name: POLICY,
    })) as CryptoPolicy;
    const e = policy.status?.enforcement;
    if (e?.current?.mode) {
      const next = e.next
        ? `next ${e.next.mode} from ${e.next.from}, announced by an EnforcementStepApproaching Event at ${e.next.noticeTime}`
        : "no step left";
      return [
        `CryptoPolicy ${POLICY} (config/samples) moves through dated steps: ${e.current.mode} now;`,
        `  ${next};`,
        `  under Enforce today it would deny ${e.denyPreview?.pods ?? 0} pod(s) (kubectl get cryptopolicies -o wide).`,
      ];
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`CryptoPolicy ${POLICY} reported no enforcement step within 30 s`);
}
