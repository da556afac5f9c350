/** The kinds of secret and their visibilities: the constants schema.ts validates and types.ts shares. */
export const secretTypes = ["token", "username_password", "json"] as const;
export type SecretType = (typeof secretTypes)[number];
export const visibilities = ["restricted", "masked"] as const;
export type Visibility = (typeof visibilities)[number];

/** A decrypted value as consumers see it: token → string, username_password → pair, json → object. */
export type SecretValue = string | { username: string; password: string } | { [key: string]: unknown };
