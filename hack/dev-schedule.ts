/**
 * The staged-enforcement part of `make dev`: where the sample policy `migrating` (config/samples) stands
 * on its calendar, as its status reports it.
 *
 * @example
 * console.log((await describeSchedule(kc)).join("\n"));
 */
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { readPolicyObject } from "./crd-objects.ts";
import { eventually } from "./dev-identity.ts";

const POLICY = "migrating";

/** Resolves with the lines `make dev` prints about the `migrating` policy's schedule. */
export async function describeSchedule(kc: KubeConfig): Promise<string[]> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const e = await eventually(`CryptoPolicy ${POLICY}'s enforcement step`, async () => {
    const status = (await readPolicyObject(custom, POLICY)).status?.enforcement;
    return status?.current?.mode ? status : undefined;
  });
  const next = e.next
    ? `next ${e.next.mode} from ${e.next.from}, announced by an EnforcementStepApproaching Event at ${e.next.noticeTime}`
    : "no step left";
  return [
    `CryptoPolicy ${POLICY} (config/samples) moves through dated steps: ${e.current!.mode} now;`,
    `  ${next};`,
    `  under Enforce today it would deny ${e.denyPreview?.pods ?? 0} pod(s) (kubectl get cryptopolicies -o wide).`,
  ];
}
