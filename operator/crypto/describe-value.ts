/**
 * Names a bad input in an error message without echoing it: only a short string (an algorithm name) is
 * ever quoted; anything else may be key material and is named by its type alone.
 *
 * @example
 * describeValue("ML-KEM-9", true); // "\"ML-KEM-9\""
 * describeValue(new Uint8Array(3), false); // "a Uint8Array"
 */
export function describeValue(value: unknown, echoShortStrings: boolean): string {
  if (typeof value === "string") {
    return echoShortStrings && value.length <= 32 ? JSON.stringify(value) : "a string";
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value !== "object") return typeof value;
  const type: unknown = value.constructor?.name;
  return typeof type === "string" && type !== "Object" ? `a ${type}` : "an object";
}
