import { describe, expect, it } from "vitest";
import {
  decodeReview,
  encodeReview,
  internalErrorResponse,
  mutationResponse,
  responseFor,
} from "./codec.ts";

const request = {
  uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
  kind: { group: "", version: "v1", kind: "Pod" },
  resource: { group: "", version: "v1", resource: "pods" },
  namespace: "shop",
  name: "web",
  operation: "CREATE",
  object: { metadata: { name: "web" } },
  dryRun: false,
};
const review = (r: unknown = request) => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: r,
});
const subject = { group: "", kind: "Pod", name: "web" };

describe("decodeReview", () => {
  it("keeps the request, uid included", () => {
    const decoded = decodeReview(review());
    expect(decoded).toEqual({ ok: true, request });
  });

  it.each<[string, unknown, string]>([
    ["null", null, "the body must be a JSON object"],
    ["an array", [review()], "the body must be a JSON object"],
    ["a string", "AdmissionReview", "the body must be a JSON object"],
    [
      "v1beta1",
      { ...review(), apiVersion: "admission.k8s.io/v1beta1" },
      "AdmissionReview of apiVersion admission.k8s.io/v1",
    ],
    [
      "another kind",
      { ...review(), kind: "Pod" },
      "AdmissionReview of apiVersion admission.k8s.io/v1",
    ],
    [
      "no request",
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" },
      "`request` must be an object",
    ],
    [
      "a response instead",
      {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        response: { uid: "x", allowed: true },
      },
      "`request` must be an object",
    ],
    ["no uid", review({ ...request, uid: undefined }), "`request.uid` must be a non-empty string"],
    ["an empty uid", review({ ...request, uid: "" }), "`request.uid`"],
    ["a numeric uid", review({ ...request, uid: 7 }), "`request.uid`"],
    ["a huge uid", review({ ...request, uid: "u".repeat(129) }), "`request.uid`"],
    ["no kind", review({ ...request, kind: undefined }), "`request.kind` must be an object"],
    [
      "a kind without version",
      review({ ...request, kind: { group: "", kind: "Pod" } }),
      "`request.kind.version` must be a string",
    ],
    [
      "a bad resource",
      review({ ...request, resource: "pods" }),
      "`request.resource` must be an object",
    ],
    [
      "an unknown operation",
      review({ ...request, operation: "PATCH" }),
      "`request.operation` must be one of",
    ],
    [
      "a numeric namespace",
      review({ ...request, namespace: 1 }),
      "`request.namespace` must be a string",
    ],
    [
      "a string dryRun",
      review({ ...request, dryRun: "true" }),
      "`request.dryRun` must be a boolean",
    ],
  ])("refuses %s", (_name, body, problem) => {
    const decoded = decodeReview(body);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.problem).toContain(problem);
  });
});

describe("responseFor", () => {
  it("admits with warnings and audit annotations, echoing the uid", () => {
    const r = responseFor(
      "u1",
      { errors: [], warnings: ["a"], auditAnnotations: { violation: "x" } },
      subject,
    );
    expect(encodeReview(r)).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "u1", allowed: true, warnings: ["a"], auditAnnotations: { violation: "x" } },
    });
  });

  it("omits empty warnings and annotations", () => {
    expect(responseFor("u1", { errors: [], warnings: [], auditAnnotations: {} }, subject)).toEqual({
      uid: "u1",
      allowed: true,
    });
  });

  it("denies with 422 and one cause per field", () => {
    const r = responseFor(
      "u2",
      {
        errors: [
          { field: "metadata.labels", message: "no MCPServer selects it" },
          {
            field: "metadata.annotations[latticeguard.dev/transport]",
            message: "must name a group",
          },
        ],
        warnings: [],
      },
      { group: "apps", kind: "Deployment", name: "web" },
    );
    expect(r).toEqual({
      uid: "u2",
      allowed: false,
      status: {
        status: "Failure",
        code: 422,
        reason: "Invalid",
        message:
          'Deployment "web" is invalid: metadata.labels: no MCPServer selects it; metadata.annotations[latticeguard.dev/transport]: must name a group',
        details: {
          name: "web",
          group: "apps",
          kind: "Deployment",
          causes: [
            {
              reason: "FieldValueInvalid",
              field: "metadata.labels",
              message: "no MCPServer selects it",
            },
            {
              reason: "FieldValueInvalid",
              field: "metadata.annotations[latticeguard.dev/transport]",
              message: "must name a group",
            },
          ],
        },
      },
    });
  });

  it("keeps warnings to one readable line each, and a bounded number of them", () => {
    const r = responseFor(
      "u",
      {
        errors: [],
        warnings: ["a\nb\tc", "x".repeat(300), ...Array.from({ length: 20 }, () => "w")],
      },
      subject,
    );
    expect(r.warnings?.[0]).toBe("a b c");
    expect(r.warnings?.[1]).toHaveLength(256);
    expect(r.warnings?.[1]?.endsWith("…")).toBe(true);
    expect(r.warnings).toHaveLength(16);
  });
});

describe("mutationResponse", () => {
  it("carries the patch as base64 JSON with patchType JSONPatch, and the warnings", () => {
    const patch = [{ op: "add", path: "/metadata/annotations", value: { a: "b" } }];
    const response = mutationResponse("u1", patch, ["line\nbreak"]);
    expect(response).toEqual({
      uid: "u1",
      allowed: true,
      patchType: "JSONPatch",
      patch: Buffer.from(JSON.stringify(patch)).toString("base64"),
      warnings: ["line break"],
    });
  });

  it("sends no patch at all when nothing changes", () => {
    expect(mutationResponse("u1", [], [])).toEqual({ uid: "u1", allowed: true });
  });
});

describe("internalErrorResponse", () => {
  it("denies (fail closed) with 500 and says why", () => {
    expect(internalErrorResponse("u3", "boom")).toEqual({
      uid: "u3",
      allowed: false,
      status: {
        status: "Failure",
        code: 500,
        reason: "InternalError",
        message: "LatticeGuard could not validate the request and denies it (fail closed): boom",
      },
    });
  });
});
