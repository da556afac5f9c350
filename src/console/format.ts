/** Small display helpers shared by the screens. */
import type { NamingPolicy, SecretType } from "./api.js";

export function when(iso: string | null | undefined): string {
  if (!iso) return "Never";
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export const TYPE_LABELS: Record<SecretType, string> = {
  token: "Token",
  username_password: "Username and password",
  json: "JSON",
};

/** Mirrors the server's rule (src/secrets/names.ts) for live feedback; the server decides. */
export function nameProblem(policy: NamingPolicy, name: string): string | null {
  if (name === "") return null;
  if (name.length > 128) return "At most 128 characters.";
  if (policy === "upper_snake") {
    return /^[A-Z_][A-Z0-9_]*$/.test(name)
      ? null
      : "Use uppercase letters, digits and underscores, not starting with a digit (for example API_KEY).";
  }
  return /^[a-z0-9_-]+$/.test(name.toLowerCase()) ? null : "Use letters, digits, dashes and underscores.";
}

export function scopeBase(scope: { org: string; project?: string | undefined }): string {
  const org = `/orgs/${encodeURIComponent(scope.org)}`;
  return scope.project === undefined ? org : `${org}/projects/${encodeURIComponent(scope.project)}`;
}

/** Filter options for outcomes as the API names them ("success"), labelled in words ("Success"). */
export function outcomeOptions(values: string[]): { value: string; label: string }[] {
  return values.map((v) => ({ value: v, label: v.charAt(0).toUpperCase() + v.slice(1) }));
}
