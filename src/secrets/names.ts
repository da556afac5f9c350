/** Secret name rules (S1). Pure, so property tests can drive them. */
import { AppError } from "../errors.js";
import { MAX_NAME_LENGTH } from "./schema.js";

export type NamingPolicy = "upper_snake" | "alias";

const upperSnake = /^[A-Z_][A-Z0-9_]*$/;
const alias = /^[a-z0-9_-]+$/;

/** The folded form the unique index compares: names are unique in their scope ignoring case. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

export function isValidName(policy: NamingPolicy, name: string): boolean {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return false;
  return policy === "upper_snake" ? upperSnake.test(name) : alias.test(name.toLowerCase());
}

/** Returns the name as stored: aliases are case-insensitive and kept in lowercase. */
export function checkName(policy: NamingPolicy, name: string): string {
  if (!isValidName(policy, name)) {
    const rule =
      policy === "upper_snake"
        ? "uppercase letters, digits and _, not starting with a digit, at most 128 characters"
        : "lowercase letters, digits, - and _, at most 128 characters";
    throw new AppError("invalid_request", `invalid secret name: use ${rule}`, {
      fields: [{ field: "body.name", message: rule }],
    });
  }
  return policy === "alias" ? name.toLowerCase() : name;
}
