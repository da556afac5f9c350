/**
 * A response serialized by its schema is exactly what zod's parse and JSON.stringify made of it before
 * (decision 0221's allowlist, decision 0280's speed): the same text for a body the schema takes, with keys
 * the schema does not name dropped, and a refusal wherever zod refuses, never a conversion.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { secretListSchema, secretMetadataSchema } from "../secrets/schema.js";
import { serializerFor } from "./serializer.js";

/** What the server sent before: zod's parse, then JSON.stringify; undefined where the parse failed. */
function byZod(schema: z.ZodType, value: unknown): string | undefined {
  const result = schema.safeParse(value);
  return result.success ? JSON.stringify(result.data) : undefined;
}

const metadata = {
  name: "API_KEY",
  type: "token",
  visibility: "masked",
  description: 'with "quotes", \\ backslashes, \u0001 controls, \ud800 a lone surrogate and é',
  allowedHosts: ["api.example.com"],
  scope: "project",
  overrides: true,
  usageCount: 2,
  usedBy: [{ kind: "integration", id: "i1", name: "Hook", secretValue: "must not leave" }],
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-02T00:00:00.000Z",
  updatedBy: "owner@example.com",
  lastAccessedAt: null,
  lastAccessedBy: { kind: "logic", id: "l1", name: "Fn" },
  version: 3,
  archived: false,
  value: "a value a service added by mistake",
};

describe("answers serialized by their response schema", () => {
  it("give zod's text for the secrets list, without the keys the schema does not name", () => {
    const list = {
      secrets: [metadata, { ...metadata, overrides: undefined, usedBy: undefined }],
      nextCursor: "x",
    };
    const text = serializerFor(secretListSchema)(list);
    assert.equal(text, byZod(secretListSchema, list));
    assert.doesNotMatch(text!, /must not leave|by mistake/);
  });

  it("refuse whatever zod refuses: wrong types, values outside an enum, missing keys, non-finite numbers", () => {
    const serialize = serializerFor(secretMetadataSchema);
    const wrong: Record<string, unknown>[] = [
      { ...metadata, version: "3" },
      { ...metadata, version: 1.5 },
      { ...metadata, usageCount: Number.POSITIVE_INFINITY },
      { ...metadata, archived: 0 },
      { ...metadata, type: "not-a-type" },
      { ...metadata, scope: "elsewhere" },
      { ...metadata, name: undefined },
      { ...metadata, lastAccessedAt: undefined },
      { ...metadata, allowedHosts: "api.example.com" },
      { ...metadata, allowedHosts: [1] },
      { ...metadata, lastAccessedBy: { kind: "integration", id: "i1" } },
    ];
    for (const body of wrong) {
      assert.equal(byZod(secretMetadataSchema, body), undefined);
      assert.equal(serialize(body), undefined);
    }
    assert.equal(serialize(null), undefined);
    assert.equal(serialize([metadata]), undefined);
  });

  it("follow zod through the schema kinds it does not compile (unions, refinements, defaults, strict objects)", () => {
    const schema = z.object({
      either: z.union([z.string(), z.number()]),
      email: z.string().email(),
      later: z.string().default("fallback"),
      strict: z.object({ a: z.number() }).strict().optional(),
      anything: z.unknown(),
      list: z.array(z.unknown()),
      literal: z.literal("yes"),
    });
    const serialize = serializerFor(schema);
    const bodies: unknown[] = [
      {
        either: 1,
        email: "a@example.com",
        anything: { deep: [1, "two"] },
        list: [undefined, 2],
        literal: "yes",
      },
      {
        either: "s",
        email: "a@example.com",
        later: "given",
        strict: { a: 1 },
        list: [],
        literal: "yes",
        extra: 1,
      },
      { either: true, email: "a@example.com", list: [], literal: "yes" },
      { either: 1, email: "not an email", list: [], literal: "yes" },
      { either: 1, email: "a@example.com", strict: { a: 1, b: 2 }, list: [], literal: "yes" },
      { either: 1, email: "a@example.com", list: [], literal: "no" },
    ];
    for (const body of bodies) assert.equal(serialize(body), byZod(schema, body));
    assert.notEqual(serialize(bodies[0]), undefined);
    assert.equal(serialize(bodies[2]), undefined);
  });
});
