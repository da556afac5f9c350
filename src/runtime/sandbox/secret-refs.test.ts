import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { referencedSecretNames } from "./secret-refs.js";

/** Secret names as the console accepts them (seed 000): uppercase letters, digits, underscore. */
const upperName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,15}$/);
/** Alias-style names (seed 003): lowercase, digits, underscore and dash; only reachable with brackets. */
const aliasName = fc.stringMatching(/^[a-z0-9_-]{1,16}$/);

/** Ways to write a reference to `name` in code; dot forms only for names that are identifiers. */
const referenceTo = (name: string): fc.Arbitrary<string> => {
  const bracketed = [
    `secrets["${name}"]`,
    `secrets['${name}']`,
    `secrets[\`${name}\`]`,
    `secrets?.["${name}"]`,
    `secrets[ "${name}" ]`,
    `\`x \${secrets["${name}"]} y\``,
  ];
  const dotted = [
    `secrets.${name}`,
    `secrets?.${name}`,
    `secrets . ${name}`,
    `\`Bearer \${secrets.${name}}\``,
  ];
  const forms = /^[A-Za-z_$][\w$]*$/.test(name) ? [...bracketed, ...dotted] : bracketed;
  return fc.constantFrom(...forms);
};

/** Code around the references that mentions secrets without referring to them. */
const decoy = fc.constantFrom(
  "// secrets.IN_A_COMMENT",
  "/* secrets['in-a-block-comment'] */",
  'const text = "secrets.IN_A_STRING";',
  "const other = { secrets: {} }; other.secrets.OF_ANOTHER_OBJECT;",
  "mysecrets.NOT_SECRETS;",
  "const re = /secrets.IN_A_REGEX/g;",
  "const plain = `secrets.IN_TEMPLATE_TEXT`;",
  "const ratio = total / secrets_count / 2;",
  "if (a) { b(); }",
  "",
);

describe("referencedSecretNames", () => {
  test("finds dotted, bracketed, optional and template references", () => {
    const code = `export default async function process({ event, secrets }) {
      const auth = \`Bearer \${secrets.API_KEY}\`;
      const user = secrets["basic-auth"];
      const opt = secrets?.MAYBE ?? secrets?.['maybe-alias'];
      return fetchLike(auth, user, opt, secrets['SINGLE'], secrets[\`TICKED\`]);
    }`;
    assert.deepEqual(referencedSecretNames(code), [
      "API_KEY",
      "MAYBE",
      "SINGLE",
      "TICKED",
      "basic-auth",
      "maybe-alias",
    ]);
  });

  test("finds names destructured from secrets", () => {
    const code = "const { TOKEN, 'my-alias': alias, NESTED: { inner }, DEFAULTED = 'x', ...rest } = secrets;";
    assert.deepEqual(referencedSecretNames(code), ["DEFAULTED", "NESTED", "TOKEN", "my-alias"]);
  });

  test("ignores comments, strings, regular expressions and other objects' secrets", () => {
    const code = [
      "// secrets.COMMENTED",
      "/* secrets['blocked'] */",
      "const s = 'secrets.QUOTED' + \"secrets['double']\";",
      "const r = /secrets.REGEX/;",
      "const t = `secrets.TEMPLATE_TEXT`;",
      "ctx.secrets.OTHER; mysecrets.PREFIXED; secrets_x.SUFFIXED;",
      "const n = a / b / secrets.AFTER_DIVISION;",
    ].join("\n");
    assert.deepEqual(referencedSecretNames(code), ["AFTER_DIVISION"]);
  });

  test("computed names are not guessed", () => {
    assert.deepEqual(referencedSecretNames("const k = 'A'; secrets[k]; secrets['B' + k];"), []);
  });

  test("every referenced name is found, whatever the surrounding code (property)", () => {
    const named = fc
      .oneof(upperName, aliasName)
      .chain((name) => referenceTo(name).map((ref) => ({ name, ref })));
    fc.assert(
      fc.property(fc.array(fc.tuple(named, decoy), { maxLength: 8 }), (entries) => {
        const code = entries.map(([{ ref }, noise]) => `${noise}\nuse(${ref});`).join("\n");
        const expected = [...new Set(entries.map(([{ name }]) => name))].sort();
        assert.deepEqual(referencedSecretNames(code), expected, code);
      }),
    );
  });

  test("decoys alone never produce a name (property)", () => {
    fc.assert(
      fc.property(fc.array(decoy, { maxLength: 10 }), (decoys) => {
        assert.deepEqual(referencedSecretNames(decoys.join("\n")), []);
      }),
    );
  });

  test("any input is scanned without throwing and yields unique sorted names (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-ascii", maxLength: 200 }), (text) => {
        const names = referencedSecretNames(`secrets.${text} ${text}`);
        assert.deepEqual(names, [...new Set(names)].sort());
      }),
    );
  });
});
