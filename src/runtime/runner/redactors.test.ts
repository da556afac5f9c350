/**
 * The runner's redactor cache: each build lends its forms and its tiers to the next (decisions 0285 and
 * 0360), whichever scope that is for; what each redactor hides is what one built from scratch hides.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRedactor, isLayered } from "../../redaction/index.js";
import { createRedactorCache } from "./redactors.js";

const orgValues = Array.from({ length: 400 }, (_, i) => `org-secret-${i}-${(i * 7919).toString(36)}&Q`);
const projectValues = (project: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${project}-token-${i}-${(i * 104729).toString(36)}`);

/** A text with every value of `all` once, raw and percent-encoded. */
const textOf = (all: string[]) => all.map((v, i) => `${i}: ${v} ${encodeURIComponent(v)}`).join("\n");

describe("redactor cache (decisions 0285, 0360)", () => {
  it("scopes built one from another, through changes, hide what redactors built from scratch hide", () => {
    const cache = createRedactorCache();
    let org = orgValues.slice();
    const alpha = projectValues("alpha", 3);
    const gamma = projectValues("gamma", 3);
    const everything = [...orgValues, ...alpha, ...gamma];
    let layered = 0;
    for (let step = 0; step < 12; step++) {
      // A change to one organization secret every third step; the views of two projects alternate.
      if (step % 3 === 2) {
        org = org.slice();
        org[step] = `${org[step]}-rotated`;
        everything.push(org[step]!);
      }
      const scope = step % 2 === 0 ? [...org, ...alpha] : [...org, ...gamma];
      const extra = step === 5 ? ["resolved-late-value-42"] : [];
      const redactor = cache.get(scope, extra);
      if (isLayered(redactor)) layered++;
      const text = textOf([...everything, ...extra]);
      assert.equal(redactor.redact(text), createRedactor([...scope, ...extra]).redact(text), `step ${step}`);
    }
    // The builds are layered on the one before (the projects' names have one length, so their tokens fit
    // the base's stride), but for the first and a full build once the overlay passes its share: each switch
    // of view adds one project's tokens again and leaves the other's dead.
    assert.ok(layered >= 9, `${layered} of 12 layered`);
  });
});
