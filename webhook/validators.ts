/**
 * The validator table: one pure validator per kind, keyed by `apiVersion/Kind` ({@link gvkKey}). The
 * webhook answers for exactly these kinds; the ValidatingWebhookConfiguration (configuration.ts) registers
 * the same ones.
 *
 * @example
 * const validate = VALIDATORS[gvkKey(request.kind)];
 */
import { validateCryptoPolicy } from "./cryptopolicy-validator.ts";
import { validateMCPServer } from "./mcpserver-validator.ts";
import { POD_TEMPLATE_PATHS } from "./pod-templates.ts";
import { podTemplateValidator } from "./pod-validator.ts";
import type { Validator } from "./types.ts";

/**
 * Every kind the webhook validates, and how.
 *
 * @example
 * Object.keys(VALIDATORS); // ["v1/Pod", "apps/v1/Deployment", …, "latticeguard.dev/v1alpha1/CryptoPolicy"]
 */
export const VALIDATORS: Readonly<Record<string, Validator>> = {
  ...Object.fromEntries(Object.keys(POD_TEMPLATE_PATHS).map((k) => [k, podTemplateValidator(k)])),
  "latticeguard.dev/v1alpha1/MCPServer": validateMCPServer,
  "latticeguard.dev/v1alpha1/CryptoPolicy": validateCryptoPolicy,
};
