/**
 * The committed bytes of the scan's WebAssembly loop are its text format assembled (decision 0330): a
 * change to `sample.wat` that was not assembled again, or bytes edited by hand, fail here.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import createWabt from "wabt";
import { SAMPLE_WASM } from "./sample-bytes.js";

it("holds sample.wat assembled, byte for byte", async () => {
  // Tests run from dist/src; the .wat stays in src/.
  const source = new URL("../../../../src/redaction/wasm/sample.wat", import.meta.url);
  const wabt = await createWabt();
  const module = wabt.parseWat("sample.wat", readFileSync(source, "utf8"));
  module.validate();
  const { buffer } = module.toBinary({});
  assert.equal(Buffer.from(SAMPLE_WASM, "base64").toString("hex"), Buffer.from(buffer).toString("hex"));
});
