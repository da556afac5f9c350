import { randomFillSync } from "node:crypto";

// Random bytes are drawn 4 KiB at a time: one system call per 256 ids instead of one per id.
const pool = Buffer.alloc(4096);
let offset = pool.length;

/** UUIDv7: time-ordered, so ids sort by creation and page well as cursors. */
export function newId(): string {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + 16);
  offset += 16;
  // 48 bits of milliseconds, big-endian: the high 16 and low 32 bits, in plain numbers.
  const ms = Date.now();
  bytes.writeUInt16BE(Math.floor(ms / 2 ** 32), 0);
  bytes.writeUInt32BE(ms % 2 ** 32, 2);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const nowIso = (): string => new Date().toISOString();
