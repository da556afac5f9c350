import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseInvitation } from "./commands/auth.js";
import { CliError } from "./io.js";

const TOKEN = `crk_i_${"A".repeat(43)}`;

describe("accept-invite's argument", () => {
  it("a link gives the token and the server it came from; a bare token gives the token only", () => {
    assert.deepEqual(parseInvitation(`https://secrets.example.test/invite#token=${TOKEN}`), {
      token: TOKEN,
      linkBase: "https://secrets.example.test",
    });
    assert.deepEqual(parseInvitation(`https://example.test/cloakroom/invite#token=${TOKEN}`), {
      token: TOKEN,
      linkBase: "https://example.test/cloakroom",
    });
    assert.deepEqual(parseInvitation(TOKEN), { token: TOKEN, linkBase: undefined });
  });

  it("anything without an invitation token is refused before any request", () => {
    for (const bad of ["", "crk_s_abc", "https://example.test/invite", `crk_t_${"A".repeat(43)}`]) {
      assert.throws(() => parseInvitation(bad), CliError, bad);
    }
  });
});
