/**
 * Query-string numbers: decimal digits only. `z.coerce.number()` would take what `Number()` takes (`0x10`,
 * `1e2`, ` 5 `, `0b1`), so a client's typo or a probe would be read as some other number.
 */
import { z } from "zod";

/** A decimal integer between `min` and `max` (at most 9 digits, so it is exact), `fallback` when absent. */
export function decimalInt(min: number, max: number, fallback: number) {
  return z
    .string()
    .regex(/^[0-9]{1,9}$/, "must be a decimal integer")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((n) => n ?? fallback);
}
