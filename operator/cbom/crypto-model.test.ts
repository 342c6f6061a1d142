import { Enums, Models } from "@cyclonedx/cyclonedx-library";
import { describe, expect, it } from "vitest";
import { CryptoAsset, serializeCbom, type CryptoProperties } from "./crypto-model.ts";

const algorithm: CryptoProperties = {
  assetType: "algorithm",
  algorithmProperties: { primitive: "kem", parameterSetIdentifier: "768" },
  oid: "2.16.840.1.101.3.4.4.2",
};

describe("serializeCbom", () => {
  it.each([
    {
      what: "a crypto asset with its cryptoProperties",
      component: new CryptoAsset("ML-KEM-768", algorithm, { bomRef: "algorithm/ML-KEM-768" }),
      expected: { type: "cryptographic-asset", name: "ML-KEM-768", cryptoProperties: algorithm },
    },
    {
      what: "any other component as the library writes it",
      component: new Models.Component(Enums.ComponentType.Application, "app", { bomRef: "app" }),
      expected: { type: "application", name: "app" },
    },
  ])("writes $what", ({ component, expected }) => {
    const bom = new Models.Bom();
    bom.components.add(component);
    const json = serializeCbom(bom);
    const [written] = (JSON.parse(json) as { components: object[] }).components;
    expect(written).toEqual({ ...expected, "bom-ref": component.bomRef.value });
    expect(json).toMatch(/"specVersion": "1\.6"[\s\S]*\n$/);
  });
});
