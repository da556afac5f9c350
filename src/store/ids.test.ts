import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newId } from "./ids.js";

describe("ids", () => {
  test("an id is a version 7 UUID whose first 48 bits are the time in milliseconds", () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16);
    assert.ok(ms >= before && ms <= after, `${ms} not in [${before}, ${after}]`);
  });

  test("ids made one after the other sort by time and never repeat", () => {
    const ids: string[] = [];
    for (let i = 0; i < 5000; i++) ids.push(newId());
    assert.equal(new Set(ids).size, ids.length);
    const times = ids.map((id) => id.slice(0, 13));
    assert.deepEqual([...times].sort(), times);
  });
});
