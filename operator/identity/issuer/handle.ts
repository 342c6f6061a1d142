/**
 * One issuance request, from the `Authorization` header and the body to an answer or a refusal:
 *
 *   a bearer token shaped like a JWT → the CSR verifies (proof of possession) → TokenReview (audience) →
 *   a watched namespace → the pod the token is bound to → same UID, not terminating, same service
 *   account → an MCPServer selects it, or one its connect annotation names admits it as a client (cache)
 *   → the namespace's effective policy (cache) → the CSR's algorithm is allowed → a signer → the
 *   certificate.
 *
 * The checks a request can fail on its own (the token's shape, the CSR) come first, so a malformed request
 * never costs the API server a TokenReview or a pod read. A namespace-scoped install refuses a caller
 * outside its namespaces before the pod read, which its RBAC would refuse.
 *
 * Identity comes only from the reviewed token and the API server; the CSR contributes nothing but its
 * public key. The issuer remembers successful reviews for a few seconds (review-cache.ts) and reads the
 * pod from the pods informer when it holds the token's pod, from the API server otherwise (pod-read.ts);
 * every check runs on every request. A failed or slow API call is `Unavailable` (503); anything
 * unexpected is `InternalError` (500): the handler never throws and never issues on an error.
 *
 * @example
 * const handle = issuanceHandler({ review, readPod, caches, authority, trustDomain, clusterDomain, now });
 * const outcome = await handle(req.headers.authorization, req.body);
 */
import { X509Certificate } from "node:crypto";
import type { V1Namespace, V1Pod } from "@kubernetes/client-node";
import type { SignatureAlgorithm } from "../../api/algorithms.ts";
import type { CryptoPolicy, MCPServer } from "../../api/types.generated.ts";
import { issueCertificate, verifyCsr, type VerifiedCsr } from "../../crypto/index.ts";
import type { Cache, NamespacedCache } from "../../kube/cache.ts";
import { resolvePolicy } from "../../policy/merge.ts";
import type { IssuingAuthority, Signer } from "../authority.ts";
import {
  allowedAlgorithms,
  checkAlgorithm,
  checkPod,
  connectingServer,
  connectTargets,
  identityPlan,
  selectingServer,
} from "./decide.ts";
import { refuse, type Refusal } from "./refusals.ts";
import { bearerToken, type TokenPod, type TokenReviewResult } from "./token-review.ts";

/**
 * The informer caches the handler reads. `pods` is read by the issuer's pod reader (pod-read.ts), not by
 * the handler, and only for pods cached with their service account (`issuerPodFields`).
 *
 * @example
 * const caches: IssuerCaches = { servers, policies, namespaces }; // the operator's Informers
 */
export interface IssuerCaches {
  pods?: Cache<V1Pod>;
  /** Read one namespace at a time (the caller's), through the cache's namespace index. */
  servers: NamespacedCache<MCPServer>;
  policies: Cache<CryptoPolicy>;
  namespaces: Cache<V1Namespace>;
}

/**
 * What the handler needs: the two API calls, the caches, the authority and the names it issues under.
 *
 * @example
 * const deps: IssuanceDeps = { review: (t) => reviewToken(authApi, t, audience), readPod, caches, authority, trustDomain: "cluster.local", clusterDomain: "cluster.local", now: () => new Date() };
 */
export interface IssuanceDeps {
  /** The audience tokens are reviewed for (only used to word a refusal). */
  audience: string;
  review(token: string): Promise<TokenReviewResult>;
  /**
   * The pod; undefined when it does not exist. `uid` is the one the token is bound to: a cached pod with
   * it may answer instead of the API server.
   */
  readPod(namespace: string, name: string, uid?: string): Promise<V1Pod | undefined>;
  caches: IssuerCaches;
  authority: IssuingAuthority;
  trustDomain: string;
  clusterDomain: string;
  /** The longest identity issued, whatever the policy says (`--max-identity-ttl`). */
  maxTtlMs?: number;
  /** The only namespaces whose pods may ask (`--watch-namespaces`); undefined: every namespace. */
  watchNamespaces?: readonly string[];
  now(): Date;
}

/**
 * The body of a successful answer: the certificate, every anchor to trust, and what it says.
 *
 * @example
 * const { certificate, bundle, spiffeId, notAfter }: IdentityAnswer = JSON.parse(body);
 */
export interface IdentityAnswer {
  certificate: string;
  bundle: string;
  spiffeId: string;
  /** RFC 3339. */
  notAfter: string;
}

/**
 * What was issued, for metrics, logs and the MCPServer status (`onIssued`, server identities only).
 *
 * @example
 * const { namespace, mcpserver, algorithm, notAfter }: IssuedIdentity = outcome.issued;
 */
export interface IssuedIdentity {
  namespace: string;
  /** The MCPServer's name (in `namespace`); for a client identity, `<namespace>/<name>` of the one it calls. */
  mcpserver: string;
  /** A server's pod, or a client of the MCPServer (no DNS names). */
  role: "server" | "client";
  algorithm: SignatureAlgorithm;
  notAfter: Date;
  pod: string;
  serviceAccount: string;
  spiffeId: string;
}

/**
 * The outcome of one request. A refusal carries the caller once the token named one, and the error
 * behind an `Unavailable` or `InternalError` for the server's log (never for the client).
 *
 * @example
 * if (!outcome.ok) res.status(REFUSAL_STATUS[outcome.refusal.reason]).json(outcome.refusal);
 */
export type IssuanceOutcome =
  | { ok: true; answer: IdentityAnswer; issued: IssuedIdentity }
  | { ok: false; refusal: Refusal; caller?: TokenPod; cause?: unknown };

type Refused = Extract<IssuanceOutcome, { ok: false }>;

/**
 * How long one API call (the TokenReview, the pod read) may take before the request is answered
 * `Unavailable`; the issuer also gives each call this deadline, so the call itself is abandoned.
 *
 * @example
 * await core.readNamespacedPod({ namespace, name }, requestTimeout(ISSUER_API_TIMEOUT_MS));
 */
export const ISSUER_API_TIMEOUT_MS = 10_000;

async function apiCall<T>(what: string, call: () => Promise<T>): Promise<{ value: T } | Refused> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${ISSUER_API_TIMEOUT_MS} ms`)),
      ISSUER_API_TIMEOUT_MS,
    );
  });
  try {
    return { value: await Promise.race([call(), timeout]) };
  } catch (cause) {
    const message = `the API server did not answer the ${what}; try again`;
    return { ok: false, refusal: refuse("Unavailable", message), cause };
  } finally {
    clearTimeout(timer);
  }
}

/** TokenReview → the pod: who is asking, checked against the API server. */
async function authenticate(
  deps: IssuanceDeps,
  token: string,
): Promise<{ caller: TokenPod; pod: V1Pod } | Refused> {
  const review = await apiCall("TokenReview", () => deps.review(token));
  if (!("value" in review)) return review;
  if (!review.value.ok)
    return { ok: false, refusal: tokenRefusal(review.value, token, deps.audience) };
  const caller = review.value.pod;
  if (deps.watchNamespaces && !deps.watchNamespaces.includes(caller.namespace)) {
    const message = `LatticeGuard does not watch namespace "${caller.namespace}"`;
    return { ok: false, refusal: refuse("NamespaceNotWatched", message), caller };
  }
  const read = await apiCall("pod read", () =>
    deps.readPod(caller.namespace, caller.name, caller.uid),
  );
  if (!("value" in read)) return { ...read, caller };
  const refusal = checkPod(caller, read.value);
  return refusal ? { ok: false, refusal, caller } : { caller, pod: read.value! };
}

/**
 * The refusal for a token the review turned down. An API server asked to review a token for an audience
 * the token lacks does not say why (`authenticated: false`); once it has refused, the token's own
 * unverified `aud` claim is read only to tell the caller that the audience is what is wrong.
 */
function tokenRefusal(result: TokenReviewResult, token: string, audience: string): Refusal {
  if (result.ok) return refuse("InvalidToken", "the token could not be read");
  const claimed = unverifiedAudiences(token);
  if (result.reason === "InvalidToken" && claimed && !claimed.includes(audience))
    return refuse("WrongAudience", `the token's audience must include "${audience}"`);
  return refuse(result.reason, result.message);
}

/**
 * The `aud` claim of a JWT, unverified (never a basis for trust); undefined when it cannot be read.
 *
 * @example
 * unverifiedAudiences(token); // ["https://kubernetes.default.svc.cluster.local"]
 */
export function unverifiedAudiences(token: string): string[] | undefined {
  try {
    const payload = JSON.parse(
      Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"),
    ) as {
      aud?: unknown;
    };
    const aud = typeof payload.aud === "string" ? [payload.aud] : payload.aud;
    return Array.isArray(aud) && aud.every((a) => typeof a === "string") ? aud : undefined;
  } catch {
    return undefined;
  }
}

const signerValidity = new Map<string, { notBefore: Date; notAfter: Date }>();
function validityOf(signer: Signer): { notBefore: Date; notAfter: Date } {
  let validity = signerValidity.get(signer.certificate);
  if (!validity) {
    const certificate = new X509Certificate(signer.certificate);
    validity = { notBefore: certificate.validFromDate, notAfter: certificate.validToDate };
    if (signerValidity.size > 8) signerValidity.clear();
    signerValidity.set(signer.certificate, validity);
  }
  return validity;
}

/** The caller's MCPServer, policy and verified CSR → the certificate. */
async function authorizeAndIssue(
  deps: IssuanceDeps,
  caller: TokenPod,
  pod: V1Pod,
  csr: VerifiedCsr,
): Promise<IssuanceOutcome> {
  const refused = (refusal: Refusal): Refused => ({ ok: false, refusal, caller });
  const namespace = deps.caches.namespaces.get(caller.namespace);
  if (!namespace)
    return refused(refuse("Unavailable", "the issuer has not seen this namespace yet; try again"));
  const selecting = selectingServer(pod, deps.caches.servers.inNamespace(caller.namespace));
  // Not a server's pod: a client of the MCPServer its connect annotation names, if that one admits it.
  const role = selecting ? "server" : "client";
  const server =
    selecting ??
    connectingServer(
      caller,
      pod,
      connectTargets(pod).flatMap((key) => deps.caches.servers.get(key) ?? []),
      deps.trustDomain,
    );
  if ("reason" in server) return refused(server);
  const resolution = resolvePolicy(deps.caches.policies.list(), namespace.metadata?.labels);
  const wrongAlgorithm = checkAlgorithm(
    csr.algorithm,
    allowedAlgorithms(server, resolution, role),
    resolution,
  );
  if (wrongAlgorithm) return refused(wrongAlgorithm);
  const signer = deps.authority.signer();
  if (!signer)
    return refused(refuse("NoSigner", "no trust anchor signs identities yet; try again"));
  const plan = identityPlan({
    caller,
    server,
    policy: resolution.policy,
    trustDomain: deps.trustDomain,
    clusterDomain: deps.clusterDomain,
    role,
    ...(deps.maxTtlMs !== undefined && { maxTtlMs: deps.maxTtlMs }),
    now: deps.now(),
    signer: validityOf(signer),
  });
  if ("reason" in plan) return refused(plan);
  const certificate = await issueCertificate({ issuer: signer, subjectKey: csr, ...plan });
  const bundle = deps.authority
    .bundle()
    .map((pem) => (pem.endsWith("\n") ? pem : `${pem}\n`))
    .join("");
  return {
    ok: true,
    answer: { certificate, bundle, spiffeId: plan.spiffeId, notAfter: plan.notAfter.toISOString() },
    issued: {
      namespace: caller.namespace,
      mcpserver:
        role === "server"
          ? server.metadata.name!
          : `${server.metadata.namespace}/${server.metadata.name}`,
      role,
      algorithm: csr.algorithm,
      notAfter: plan.notAfter,
      pod: caller.name,
      serviceAccount: caller.serviceAccount,
      spiffeId: plan.spiffeId,
    },
  };
}

/**
 * The request handler: never throws; every failure is a refusal.
 *
 * @example
 * const outcome = await issuanceHandler(deps)("Bearer eyJ…", csrPem);
 * if (outcome.ok) res.json(outcome.answer);
 */
export function issuanceHandler(
  deps: IssuanceDeps,
): (authorization: string | undefined, body: unknown) => Promise<IssuanceOutcome> {
  return async (authorization, body) => {
    let caller: TokenPod | undefined;
    try {
      const bearer = bearerToken(authorization);
      if (!("token" in bearer))
        return { ok: false, refusal: tokenRefusal(bearer, "", deps.audience) };
      let csr: VerifiedCsr;
      try {
        csr = await verifyCsr(body as string);
      } catch (error) {
        return { ok: false, refusal: refuse("MalformedCSR", (error as Error).message) };
      }
      const who = await authenticate(deps, bearer.token);
      if ("ok" in who) return who;
      caller = who.caller;
      return await authorizeAndIssue(deps, who.caller, who.pod, csr);
    } catch (cause) {
      const refusal = refuse("InternalError", "the issuer failed; try again");
      return { ok: false, refusal, caller, cause };
    }
  };
}
