/**
 * How many bytes of large request bodies the webhook holds at once. The body limit alone (3 MiB) would
 * let every open connection hold 3 MiB; a few hundred clients sending large bodies at once would then
 * need gigabytes. Reviews the API server sends are almost always small (a pod is a few KiB), so small
 * bodies are never held back, and large ones share a budget: a body that declares a size over
 * `smallBytes` (or declares none, and so may grow to the limit) must reserve its size first, and is
 * refused (503, try again) when the budget is spent, rather than waiting.
 *
 * @example
 * const budget = new BodyBudget({ smallBytes: 256 * 1024, largeBytes: 32 * 1024 * 1024 });
 * const release = budget.reserve(Number(req.headers["content-length"] ?? limit));
 * if (!release) return res.status(503).end();
 * res.once("close", release);
 */

/**
 * The sizes that decide: what counts as small, and how many bytes of larger bodies may be held at once.
 *
 * @example
 * const sizes: BodyBudgetSizes = { smallBytes: 262_144, largeBytes: 33_554_432 };
 */
export interface BodyBudgetSizes {
  smallBytes: number;
  largeBytes: number;
}

/**
 * The webhook's budget: bodies up to 256 KiB are never held back; larger ones share 32 MiB (ten reviews
 * of the largest size at once).
 *
 * @example
 * new BodyBudget(DEFAULT_BODY_BUDGET);
 */
export const DEFAULT_BODY_BUDGET: Readonly<BodyBudgetSizes> = {
  smallBytes: 256 * 1024,
  largeBytes: 32 * 1024 * 1024,
};

/**
 * A byte budget for large bodies (see the module notes).
 *
 * @example
 * const budget = new BodyBudget(DEFAULT_BODY_BUDGET);
 */
export class BodyBudget {
  private readonly sizes: BodyBudgetSizes;
  private held = 0;

  constructor(sizes: BodyBudgetSizes) {
    for (const [name, value] of Object.entries(sizes))
      if (!(Number.isInteger(value) && value > 0))
        throw new RangeError(`\`${name}\` must be a positive integer`);
    if (sizes.smallBytes > sizes.largeBytes)
      throw new RangeError("`smallBytes` must not exceed `largeBytes`");
    this.sizes = sizes;
  }

  /** Bytes of large bodies held now. */
  get heldBytes(): number {
    return this.held;
  }

  /**
   * Reserves room for a body of `bytes`: a release function (calling it more than once releases once),
   * or undefined when the budget cannot hold it now. Small bodies always get a release that does nothing.
   */
  reserve(bytes: number): (() => void) | undefined {
    if (bytes <= this.sizes.smallBytes) return () => undefined;
    if (this.held + bytes > this.sizes.largeBytes) return undefined;
    this.held += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held -= bytes;
    };
  }
}
