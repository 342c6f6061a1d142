import { describe, expect, it } from "vitest";
import type { MCPServer } from "../api/types.generated.ts";
import { kemKeysOf } from "./kem-keys.ts";

const ACTIVE = "mlkem768-00000000000000aa";
const NEXT = "mlkem768-00000000000000bb";
const RETIRING = "xwing-00000000000000cc";
const PUBLIC_KEY = Buffer.alloc(1184, 7).toString("base64");

function server(kem: NonNullable<MCPServer["status"]>["kem"] = {}): MCPServer {
  return {
    apiVersion: "latticeguard.dev/v1alpha1",
    kind: "MCPServer",
    metadata: { namespace: "mcp", name: "weather" },
    spec: { selector: { matchLabels: { app: "weather" } }, port: "mcp", transport: "sse" },
    status: { kem },
  };
}

const published = (keyId: string, state: string, extra: object = {}) => ({
  keyId,
  algorithm: keyId.startsWith("xwing") ? "X-Wing" : "ML-KEM-768",
  hpkeKemId: 65,
  publicKey: PUBLIC_KEY,
  state,
  notBefore: "2026-06-01T12:00:00Z",
  notAfter: "2026-06-08T12:00:00.000Z",
  ...extra,
});

describe("kemKeysOf", () => {
  it.each([
    {
      what: "every published key, with its window, size and HPKE id",
      kem: { activeKeyId: ACTIVE, nextKeyId: NEXT },
      text: JSON.stringify([published(ACTIVE, "active"), published(NEXT, "next")]),
      keys: [
        {
          keyId: ACTIVE,
          state: "active",
          algorithm: "ML-KEM-768",
          notBefore: "2026-06-01T12:00:00.000Z",
          notAfter: "2026-06-08T12:00:00.000Z",
          hpkeKemId: 65,
          publicKeyBits: 9472,
          published: true,
        },
        { keyId: NEXT, state: "next", published: true },
      ],
      problems: [],
    },
    {
      what: "keys only status names, when there is no ConfigMap, with the algorithm of their id",
      kem: { activeKeyId: ACTIVE, retiringKeyId: RETIRING },
      text: undefined,
      keys: [
        { keyId: ACTIVE, state: "active", algorithm: "ML-KEM-768", published: false },
        { keyId: RETIRING, state: "retiring", algorithm: "X-Wing", published: false },
      ],
      problems: [],
    },
    {
      what: "a retiring key status no longer names (an older one in its grace period)",
      kem: { activeKeyId: ACTIVE },
      text: JSON.stringify([published(ACTIVE, "active"), published(RETIRING, "retiring")]),
      keys: [{ keyId: ACTIVE }, { keyId: RETIRING, state: "retiring", algorithm: "X-Wing" }],
      problems: [],
    },
    {
      what: "nothing of a keys.json that is not a list, saying so",
      kem: {},
      text: "{not json",
      keys: [],
      problems: [
        "ConfigMap mcp/weather-kem-public: keys.json is not a JSON list of keys: its keys are left out",
      ],
    },
    {
      what: "entries that are not keys, each named",
      kem: {},
      text: JSON.stringify([
        published("mlkem768-xyz", "active"),
        published(NEXT, "pending"),
        published(ACTIVE, "active", { notAfter: "soon" }),
        published(RETIRING, "retiring"),
      ]),
      keys: [{ keyId: RETIRING }],
      problems: [0, 1, 2].map(
        (i) =>
          `ConfigMap mcp/weather-kem-public: keys.json entry ${i} is not a published key: left out`,
      ),
    },
    {
      what: "nothing for a status id that is no key id",
      kem: { activeKeyId: "not-a-key" },
      text: undefined,
      keys: [],
      problems: ['MCPServer mcp/weather: status names key "not-a-key", which is no key id'],
    },
  ])("reports $what", ({ kem, text, keys, problems }) => {
    const got = kemKeysOf(server(kem), text);
    expect(got.problems).toEqual(problems);
    expect(got.keys).toHaveLength(keys.length);
    got.keys.forEach((k, i) =>
      expect(k).toMatchObject({ namespace: "mcp", mcpserver: "weather", ...keys[i] }),
    );
  });

  it("gives no size for a public key that is not base64", () => {
    const text = JSON.stringify([published(ACTIVE, "active", { publicKey: "%%%" })]);
    expect(kemKeysOf(server(), text).keys[0]).not.toHaveProperty("publicKeyBits");
  });

  it("never keeps the public key itself", () => {
    const { keys } = kemKeysOf(server(), JSON.stringify([published(ACTIVE, "active")]));
    expect(JSON.stringify(keys)).not.toContain(PUBLIC_KEY.slice(0, 40));
  });
});
