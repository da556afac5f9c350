import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isDatabaseUnavailable } from "./failures.js";

describe("database faults are told apart from bad requests", () => {
  it("a lost, silent or overloaded database is 'unavailable'", () => {
    const unavailable = [
      new Error("Connection terminated unexpectedly"),
      new Error("Query read timeout"),
      new Error("timeout exceeded when trying to connect"),
      Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }),
      Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" }),
      Object.assign(new Error("idle-in-transaction timeout"), { code: "25P03" }),
      Object.assign(new Error("connection failure"), { code: "08006" }),
      new Error("wrapped", { cause: Object.assign(new Error("x"), { code: "57P01" }) }),
    ];
    for (const error of unavailable) assert.equal(isDatabaseUnavailable(error), true, error.message);
  });

  it("a constraint violation, a bad query or a bug is not", () => {
    const other = [
      Object.assign(new Error("duplicate key"), { code: "23505" }),
      Object.assign(new Error("syntax error"), { code: "42601" }),
      Object.assign(new Error("UNIQUE constraint failed"), { code: "SQLITE_CONSTRAINT_UNIQUE" }),
      new TypeError("cannot read properties of undefined"),
      null,
      "a string",
    ];
    for (const error of other) assert.equal(isDatabaseUnavailable(error), false, String(error));
  });
});
