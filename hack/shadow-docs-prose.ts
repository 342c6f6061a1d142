/**
 * The hand-written part of `docs/api.md` about shadow MCP servers (operator/shadow/): the `Shadow`
 * column and the exact rules for "looks like MCP" and "covered". Kept apart so the CryptoPolicy prose
 * (api-docs-prose.ts) only points here. Names come from the code.
 *
 * @example
 * const prose = { columns: { ...others, ...SHADOW_COLUMNS }, sections: [...others, ...SHADOW_SECTIONS] };
 */
import { MCP_PORT_ANNOTATION } from "../operator/api/annotations.ts";
import {
  LISTED_SHADOWS,
  MCP_APP_PROTOCOLS,
  PROBE_DEFAULTS,
  PROBE_PATHS,
} from "../operator/api/shadow.schema.ts";
import { code } from "./markdown.ts";

/**
 * What the CryptoPolicy `Shadow` column means.
 *
 * @example
 * SHADOW_COLUMNS.Shadow; // "How many shadow MCP servers …"
 */
export const SHADOW_COLUMNS: Record<string, string> = {
  Shadow:
    "How many shadow MCP servers (suspected and confirmed) the namespaces the policy selects hold: " +
    "pods and Services that look like MCP but that no MCPServer covers. Empty until the operator " +
    "has looked.",
};

const protocols = MCP_APP_PROTOCOLS.map(code).join(" or ");

/**
 * The "Shadow MCP servers" section of the CryptoPolicy reference.
 *
 * @example
 * CRYPTO_POLICY_PROSE.sections.push(...SHADOW_SECTIONS);
 */
export const SHADOW_SECTIONS: string[] = [
  "### Shadow MCP servers",
  "A **shadow MCP server** is a pod or Service that looks like an MCP server but that no MCPServer " +
    "covers, so nothing rotates its keys, issues its identity or checks its transport. The leader " +
    "looks for them in every namespace a CryptoPolicy selects and lists them in the policy's " +
    "`status.shadowServers`.",
  "A **pod** looks like MCP when a container, or a restartable init container (`restartPolicy: " +
    `Always\`), has a port named \`mcp\` or \`mcp-*\`, or it carries the \`${MCP_PORT_ANNOTATION}\` ` +
    "annotation: the admission rules, less the MCPServer one. It is **covered** when an MCPServer " +
    "of its namespace selects it. Terminating pods and pods that finished (`Succeeded`, `Failed`) " +
    "are not looked at.",
  `A **Service** looks like MCP when one of its ports has \`appProtocol\` ${protocols} (use ` +
    "the first: unprefixed `appProtocol` values are reserved for IANA service names), or is named " +
    `\`mcp\` or \`mcp-*\`, or the Service carries \`${MCP_PORT_ANNOTATION}\`. It is **covered** when ` +
    "MCPServers of its namespace select every running pod its selector selects. A Service whose " +
    "selector selects no running pod has nothing behind it and is not listed; a Service without a " +
    "selector (endpoints kept by hand) can never be covered and is always listed.",
  "Each is `suspected` until a probe confirms it. With `spec.discovery.probe: true` on any policy " +
    "that selects its namespace, the leader connects to the pod's `status.podIP` and MCP port (for " +
    "a Service: the first uncovered pod it selects, by name, on the pod port its `targetPort` names) " +
    `over plain HTTP, paths ${PROBE_PATHS.map(code).join(" then ")}, with the MCP SDK's client, and ` +
    "sends `initialize`: an answer makes it `confirmed`. Probes run in the background, at most " +
    `${PROBE_DEFAULTS.concurrency} at once, each after a random delay of up to ` +
    `${PROBE_DEFAULTS.jitterMs / 1000} s and given up after ${PROBE_DEFAULTS.timeoutMs / 1000} s; a ` +
    `result is kept for ${PROBE_DEFAULTS.recheckMs / 60_000} minutes, then probed again. ` +
    "Endpoints that terminate TLS are not probed and stay `suspected`.",
  `\`status.shadowServers\` counts them and lists the first ${LISTED_SHADOWS}, confirmed first. A ` +
    "`ShadowMCPServer` Warning Event is recorded on the pod or Service when it is first found and " +
    "again when a probe confirms it (once per operator process: a new leader records it again " +
    "once). Registering an MCPServer that selects the pods clears them from status and from the " +
    "`latticeguard_shadow_mcp_servers` gauge.",
];
