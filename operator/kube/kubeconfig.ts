/**
 * The operator's connection to the API server, with a deadline on every request. client-node 2.x sends
 * requests with `fetch` and, left alone, waits for an answer forever: an API server that accepts a
 * connection and never answers (overloaded, half-partitioned, behind a stuck proxy) would hold every
 * reconcile, Event, status write, TokenReview and pod read that touches it, and a flood of issuance
 * requests would pile them up without bound.
 *
 * Every API client made from a {@link BoundedKubeConfig} (`kc.makeApiClient(…)`,
 * `KubernetesObjectApi.makeApiClient(kc)`) asks it to authenticate each request, and it then gives the
 * request an abort signal that fires after `requestTimeoutMs` (default 30 s, `--kube-api-timeout`): the
 * request, including reading its answer, fails with a {@link RequestTimeoutError} and its connection is
 * released. A
 * call that passes a signal of its own through middleware (see {@link requestTimeout}: the leader
 * election's Lease calls, the issuer's TokenReviews) keeps that one instead. Watches are not bounded
 * here: client-node's `Watch` uses its own signal, and its own inactivity timeout (guarded-watch.ts);
 * the informer's lists have their own timeout (resource.ts).
 *
 * @example
 * const kc = loadKubeConfig(config.kubeconfig, config.kubeApiTimeoutMs);
 * const core = kc.makeApiClient(CoreV1Api); // every call gives up after 30 s
 * await core.readNamespacedPod({ namespace, name }, requestTimeout(10_000)); // this one after 10 s
 */
import {
  KubeConfig,
  Observable,
  type ConfigurationOptions,
  type RequestContext,
} from "@kubernetes/client-node";

/**
 * How long a request may take by default: half the API server's own 60 s limit on a request, and far
 * above what a healthy API server needs (milliseconds).
 *
 * @example
 * new BoundedKubeConfig(DEFAULT_API_TIMEOUT_MS);
 */
export const DEFAULT_API_TIMEOUT_MS = 30_000;

/**
 * Why a request was abandoned: it took longer than its bound. A plain Error (not the DOMException of
 * `AbortSignal.timeout`, whose message client-node cannot prefix), named `TimeoutError` all the same.
 *
 * @example
 * if (error instanceof RequestTimeoutError) log.warn("The API server did not answer in time");
 */
export class RequestTimeoutError extends Error {
  constructor(ms: number) {
    super(`the API server did not answer within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/** A signal that aborts with a {@link RequestTimeoutError} after `ms`; its timer never keeps Node up. */
function timeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new RequestTimeoutError(ms)), ms).unref();
  return controller.signal;
}

function checkTimeout(ms: number, name: string): number {
  if (!(Number.isInteger(ms) && ms > 0))
    throw new RangeError(`\`${name}\` must be a positive integer`);
  return ms;
}

/**
 * A KubeConfig whose API clients give up on a request after `requestTimeoutMs` (see the module notes).
 *
 * @example
 * const kc = new BoundedKubeConfig(10_000);
 * kc.loadFromDefault();
 */
export class BoundedKubeConfig extends KubeConfig {
  readonly requestTimeoutMs: number;

  constructor(requestTimeoutMs: number = DEFAULT_API_TIMEOUT_MS) {
    super();
    this.requestTimeoutMs = checkTimeout(requestTimeoutMs, "requestTimeoutMs");
  }

  /** Authenticates the request as KubeConfig does, and bounds it unless it already has a signal. */
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    if (context.getSignal() === undefined) context.setSignal(timeoutSignal(this.requestTimeoutMs));
  }
}

/**
 * A {@link BoundedKubeConfig} from a kubeconfig file, or else as `kubectl` finds one (`$KUBECONFIG`,
 * `~/.kube/config`, then in-cluster).
 *
 * @example
 * const kc = loadKubeConfig(undefined, 30_000);
 */
export function loadKubeConfig(
  path: string | undefined,
  requestTimeoutMs: number = DEFAULT_API_TIMEOUT_MS,
): BoundedKubeConfig {
  const kc = new BoundedKubeConfig(requestTimeoutMs);
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

/**
 * Per-call options that bound one request by `ms` (and abort it with `signal`), whatever the
 * KubeConfig's own bound: for calls that must answer sooner than the default.
 *
 * @example
 * await auth.createTokenReview({ body }, requestTimeout(10_000));
 */
export function requestTimeout(ms: number, signal?: AbortSignal): ConfigurationOptions {
  const timeout = timeoutSignal(checkTimeout(ms, "ms"));
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(combined);
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
}
