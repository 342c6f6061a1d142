// The helpers every certificate module shares.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { pemEncode, withNewline, x509 } from "./x509-lib.ts";

describe("pemEncode", () => {
  it.each([0, 1, 47, 48, 49, 96, 7_500])(
    "writes %i bytes as @peculiar/x509's PemConverter does, with a final newline",
    (length) => {
      const der = new Uint8Array(randomBytes(length));
      expect(pemEncode(der, "CERTIFICATE")).toBe(
        withNewline(x509.PemConverter.encode(der.buffer, "CERTIFICATE")),
      );
      expect(pemEncode(der.buffer, "CERTIFICATE")).toBe(pemEncode(der, "CERTIFICATE"));
    },
  );
});
