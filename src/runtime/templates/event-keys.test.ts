/** The Macro Manager's `event.data.*` paths: object keys only, bounded, and never a key the redactor hides. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { eventDataPaths, KEYS_MAX } from "./event-keys.js";

describe("event data paths for the Macro Manager", () => {
  it("lists object keys three levels deep, sorted, skipping arrays, bad JSON and keys Mustache cannot name", () => {
    const data = [
      JSON.stringify({ city: "Oslo", order: { id: 1, lines: [{ sku: "a" }], a: { b: { c: { d: 1 } } } } }),
      "not json",
      JSON.stringify({ "has space": 1, "dotted.key": 2, ok_key: 3 }),
      JSON.stringify([1, 2]),
    ];
    assert.deepEqual(
      eventDataPaths(data, () => false),
      [
        "event.data.city",
        "event.data.ok_key",
        "event.data.order",
        "event.data.order.a",
        "event.data.order.a.b",
        "event.data.order.id",
        "event.data.order.lines",
      ],
    );
  });

  it("a hidden key is left out with everything below it", () => {
    const data = [JSON.stringify({ visible: 1, s3cr3t_value_key: { inner: 2 } })];
    assert.deepEqual(
      eventDataPaths(data, (key) => key.includes("s3cr3t")),
      ["event.data.visible"],
    );
  });

  it("whatever the data, at most KEYS_MAX paths, none naming a hidden key (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 5 }), (values) => {
        const hidden = (key: string) => key.includes("x");
        const paths = eventDataPaths(
          values.map((v) => JSON.stringify(v)),
          hidden,
        );
        assert.ok(paths.length <= KEYS_MAX);
        for (const path of paths) {
          assert.ok(path.startsWith("event.data."));
          assert.ok(
            path
              .split(".")
              .slice(2)
              .every((key) => !hidden(key) && key.length > 0),
          );
        }
      }),
      { numRuns: 300 },
    );
  });
});
