/**
 * Writes that only the latest value matters for, one key at a time: the issuer records each issuance
 * in its MCPServer's `status.identity`, and a burst of issuances (a rollout, a flood of agents) must not
 * become a pile of status writes waiting on the API server. At most one write per key is in flight; a
 * value that arrives meanwhile replaces any other waiting value for that key and is written when the
 * write in flight ends. So the writes in flight and waiting never exceed twice the number of keys
 * (MCPServers), however many values arrive, and the last value always lands.
 *
 * @example
 * const record = latestWins((key, identity) => writer.applyStatus(…), (key, error) => log.warn(…));
 * record("mcp/weather", { algorithm: "ML-DSA-65", lastIssuanceTime, lastIssuedNotAfter });
 */

/**
 * A function that writes `value` under `key`, coalescing values for a key while its write is in
 * flight. `onError` is told of each failed write (the next value for the key is still written).
 *
 * @example
 * const record = latestWins(write, (key, error) => log.warn({ err: error, key }, "Failed to write"));
 */
export function latestWins<V>(
  write: (key: string, value: V) => Promise<void>,
  onError: (key: string, error: unknown) => void,
): (key: string, value: V) => void {
  const writing = new Set<string>();
  const waiting = new Map<string, V>();
  const run = (key: string, value: V): void => {
    writing.add(key);
    Promise.resolve()
      .then(() => write(key, value))
      .catch((error: unknown) => onError(key, error))
      .finally(() => {
        writing.delete(key);
        if (!waiting.has(key)) return;
        const next = waiting.get(key) as V;
        waiting.delete(key);
        run(key, next);
      });
  };
  return (key, value) => {
    if (writing.has(key)) waiting.set(key, value);
    else run(key, value);
  };
}
