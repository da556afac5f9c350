/**
 * Inputs the redactor was not tuned for (issue 13): log shapes and secret sets, seeded so every run sees
 * the same bytes. Used by `redaction-shapes.bench.ts`; `secrets` and `logText` are the set and the log of `redaction.bench.ts`.
 */

/** mulberry32: small, seeded, good enough for test data. */
export function prng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export const HEX = "0123456789abcdef";
const SYMBOLS = "!@#$%^&*()-_=+[]{};:,.<>/?~";
const WORDS = (
  "the request was handled by upstream server in time with status ok error retry token user agent " +
  "order payment invoice customer account session cache miss hit queue worker job started finished " +
  "failed timeout connection reset database query slow index scan rows returned webhook delivered " +
  "signature valid invalid rate limit exceeded backoff summer winter spring autumn dragon monkey " +
  "sunshine shadow master welcome football baseball liverpool chelsea"
).split(" ");

export function generator(seed: number) {
  const rnd = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  // Joined, not concatenated: values reach the redactor as flat strings (from JSON.parse or a decrypt).
  const chars = (alphabet: string, n: number) =>
    Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join("");
  const uuid = () =>
    `${chars(HEX, 8)}-${chars(HEX, 4)}-4${chars(HEX, 3)}-a${chars(HEX, 3)}-${chars(HEX, 12)}`;
  return { rnd, int, pick, chars, uuid };
}

export type Gen = ReturnType<typeof generator>;

function apiKey(g: Gen): string {
  const prefix = g.pick(["sk_live_", "sk_test_", "rk_live_", "ghp_", "xoxb-", "AKIA", "glpat-", ""]);
  return prefix + g.chars(BASE62, g.int(24, 48));
}

function password(g: Gen): string {
  const kind = g.rnd();
  if (kind < 0.5) return g.chars(BASE62 + SYMBOLS, g.int(8, 20));
  if (kind < 0.8) {
    // "Summer2024!": a capitalized word, digits, a symbol; 8 to 20 characters.
    const w = g.pick(WORDS);
    const word = w[0]!.toUpperCase() + w.slice(1);
    return (word + g.chars("0123456789", Math.max(2, 7 - word.length)) + g.pick([..."!?#$."])).slice(0, 20);
  }
  return g.chars(BASE62, g.int(8, 20));
}

function configLeaf(g: Gen): string {
  switch (g.int(0, 4)) {
    case 0:
      return `https://hooks.example.com/services/T${g.chars(BASE62, 8)}/B${g.chars(BASE62, 8)}/${g.chars(BASE62, 24)}`;
    case 1:
      return `postgres://svc_${g.pick(WORDS)}:${g.chars(BASE62, 16)}@db-${g.chars(HEX, 6)}.internal.example.net:5432/app`;
    case 2:
      return `${g.chars(HEX, 8)}-${g.chars(HEX, 4)}-${g.chars(HEX, 4)}-${g.chars(HEX, 4)}-${g.chars(HEX, 12)}`;
    case 3:
      return `svc_${g.pick(WORDS)}_${g.chars(BASE62, 6)}`;
    default:
      return g.chars(`${BASE62}+/`, 40);
  }
}

function shortValue(g: Gen): string {
  return g.rnd() < 0.5 ? g.chars("0123456789", g.int(4, 6)) : g.chars(BASE62, g.int(4, 6));
}

/** 60% API keys, 31% passwords, 8% JSON config leaves, 1% short values (4-6 characters). */
export function secrets(count: number, seed: number): string[] {
  const g = generator(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = (i * 100) / count;
    out.push(r < 60 ? apiKey(g) : r < 91 ? password(g) : r < 99 ? configLeaf(g) : shortValue(g));
  }
  return out;
}

/** JSON lines of HTTP request logs; one line in 40 carries a secret in some form. */
export function logText(bytes: number, values: readonly string[], seed: number, lineBreak = "\n"): string {
  const g = generator(seed);
  const agents = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Go-http-client/2.0",
  ];
  const lines: string[] = [];
  let size = 0;
  let t = Date.UTC(2024, 4, 1, 12, 0, 0);
  while (size < bytes) {
    t += g.int(1, 900);
    const secret = g.rnd() < 1 / 40 ? g.pick(values) : null;
    const form = g.int(0, 4);
    const query = secret && form === 1 ? `api_key=${encodeURIComponent(secret)}` : `page=${g.int(1, 40)}`;
    const auth =
      secret && form === 2
        ? `Basic ${Buffer.from(`svc_user:${secret}`).toString("base64")}`
        : `Bearer ${secret && form === 0 ? secret : g.chars(`${BASE62}-_`, 43)}`;
    const words = Array.from({ length: g.int(6, 18) }, () => g.pick(WORDS));
    if (secret && form === 3) words.push(`config=${JSON.stringify({ password: secret })}`);
    const line = JSON.stringify({
      ts: new Date(t).toISOString(),
      level: g.pick(["info", "info", "info", "warn", "error"]),
      req_id: g.uuid(),
      method: g.pick(["GET", "GET", "POST", "PUT", "DELETE"]),
      path: `/v1/${g.pick(["orders", "customers", "invoices", "webhooks"])}/${g.int(1, 999999)}?${query}`,
      status: g.pick([200, 200, 200, 201, 204, 400, 401, 404, 429, 500]),
      duration_ms: g.int(1, 2500),
      ip: `10.${g.int(0, 255)}.${g.int(0, 255)}.${g.int(0, 255)}`,
      headers: {
        "user-agent": g.pick(agents),
        "content-type": "application/json",
        "x-request-id": g.uuid(),
        authorization: auth,
      },
      body:
        secret && form === 4
          ? Buffer.from(secret).toString("base64url")
          : g.chars(`${BASE62}+/`, g.int(0, 64)),
      msg: words.join(" "),
    });
    lines.push(line);
    size += line.length + lineBreak.length;
  }
  return lines.join(lineBreak).slice(0, bytes);
}

export const TOKEN = `${BASE62}_-`;
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");
const PROSE_WORDS = (
  "the of and to in is was for on that with as by at from it be this which or are an not have has had " +
  "were but all their there been one when would who will more can into other than its about after " +
  "before between during under again further then once here why how both each few most some such only " +
  "own same so very just should now customer order invoice payment shipment warehouse delivery " +
  "schedule report meeting quarter budget forecast review approved pending delayed morning evening " +
  "weather station river mountain village garden library museum harbour railway"
).split(" ");

/** A secret set of `count` values: `make` draws one value from the generator. */
export interface SecretSet {
  name: string;
  make: (g: Gen) => string;
}

const capital = (w: string) => w[0]!.toUpperCase() + w.slice(1);

/**
 * Sets of 10,000 values of 4 to 64 characters for the build target ("any 10,000 values"): random over
 * alphabets of 10 to 95 characters, vendor-prefixed keys, passwords, URLs with credentials, JSON leaves.
 */
export const SECRET_SETS: readonly SecretSet[] = [
  { name: "random [A-Za-z0-9_-] 12-52", make: (g) => g.chars(TOKEN, g.int(12, 52)) },
  { name: "random base62 4-64", make: (g) => g.chars(BASE62, g.int(4, 64)) },
  { name: "random hex 8-64", make: (g) => g.chars(HEX, g.int(8, 64)) },
  { name: "random digits 4-12", make: (g) => g.chars("0123456789", g.int(4, 12)) },
  { name: "random printable 4-64", make: (g) => g.chars(PRINTABLE, g.int(4, 64)) },
  { name: "random printable 64", make: (g) => g.chars(PRINTABLE, 64) },
  {
    name: "vendor-prefixed keys",
    make: (g) =>
      g.pick([
        "sk_live_",
        "sk_test_",
        "rk_live_",
        "ghp_",
        "gho_",
        "xoxb-",
        "xoxp-",
        "AKIA",
        "glpat-",
        "SG.",
      ]) + g.chars(BASE62, g.int(16, 48)),
  },
  {
    name: "passwords",
    make: (g) => {
      const k = g.rnd();
      if (k < 0.4)
        return capital(g.pick(PROSE_WORDS)) + g.chars("0123456789", g.int(2, 4)) + g.pick([..."!?#$.@"]);
      if (k < 0.7)
        return `${g.pick(PROSE_WORDS)}-${g.pick(PROSE_WORDS)}-${g.pick(PROSE_WORDS)}-${g.int(1, 99)}`;
      return g.chars(`${BASE62}!@#$%^&*()-_=+`, g.int(8, 24));
    },
  },
  {
    name: "URLs with credentials",
    make: (g) =>
      `${g.pick(["postgres", "mysql", "redis", "https", "amqp"])}://${g.pick(PROSE_WORDS)}_svc:${g.chars(`${BASE62}!$&*-`, g.int(8, 16))}@${g.pick(PROSE_WORDS)}-${g.chars(HEX, 4)}.db.example.net:${g.int(1000, 9999)}/app`.slice(
        0,
        64,
      ),
  },
  {
    name: "JSON leaves",
    make: (g) => {
      switch (g.int(0, 4)) {
        case 0:
          return `${g.chars(HEX, 8)}-${g.chars(HEX, 4)}-4${g.chars(HEX, 3)}-a${g.chars(HEX, 3)}-${g.chars(HEX, 12)}`;
        case 1:
          return String(g.int(1000, 99_999_999));
        case 2:
          return `${g.pick(PROSE_WORDS)} ${g.pick(PROSE_WORDS)} ${g.pick(PROSE_WORDS)} ${g.int(10, 99)}`;
        case 3:
          return `${g.pick(PROSE_WORDS)}@${g.pick(PROSE_WORDS)}.example.com`;
        default:
          return g.chars(`${BASE62}+/`, 40) + "=";
      }
    },
  },
  {
    name: "non-ASCII words",
    make: (g) => `${capital(g.pick(PROSE_WORDS))}ü${g.chars("äöüéèß€", 2)}${g.int(10, 999)}`,
  },
];

export function secretValues(set: SecretSet, count: number, seed: number): string[] {
  const g = generator(seed);
  return Array.from({ length: count }, () => set.make(g));
}

/** The build target's twelve sets by name: the bench's own set (`secrets`), then `SECRET_SETS`. */
export const SET_NAMES: readonly string[] = ["bench set", ...SECRET_SETS.map((set) => set.name)];

/** One of the twelve sets, `count` values; `seeds` of the bench's set and of the others. */
export function secretSet(name: string, count: number, seeds: { bench: number; sets: number }): string[] {
  if (name === SET_NAMES[0]) return secrets(count, seeds.bench);
  const set = SECRET_SETS.find((s) => s.name === name);
  if (!set) throw new Error(`no secret set named ${name}`);
  return secretValues(set, count, seeds.sets);
}

/** The twelve sets, each of `count` values. */
export function secretSets(count: number, seeds: { bench: number; sets: number }) {
  return SET_NAMES.map((name) => ({ name, values: secretSet(name, count, seeds) }));
}

/** A value in one of the forms a log shows it in. */
function inForm(g: Gen, secret: string): string {
  switch (g.int(0, 4)) {
    case 0:
      return secret;
    case 1:
      return encodeURIComponent(secret);
    case 2:
      return Buffer.from(`svc:${secret}`).toString("base64");
    case 3:
      return JSON.stringify(secret).slice(1, -1);
    default:
      return Buffer.from(secret).toString("base64url");
  }
}

/**
 * JSON gateway lines dense with random identifiers: 32-hex request and trace ids, random alphanumeric
 * notes, bearer tokens in base64 and percent-encoded forms. One line in 40 carries a secret.
 */
export function tokenDenseLog(bytes: number, values: readonly string[], seed: number): string {
  const g = generator(seed);
  const lines: string[] = [];
  let size = 0;
  let t = Date.UTC(2024, 4, 1, 12, 0, 0);
  while (size < bytes) {
    t += g.int(1, 900);
    const secret = g.rnd() < 1 / 40 ? inForm(g, g.pick(values)) : null;
    const token = g.chars(TOKEN, g.int(20, 48));
    const bearer = g.rnd() < 0.5 ? Buffer.from(token).toString("base64") : encodeURIComponent(`${token}+/=`);
    const line = JSON.stringify({
      ts: new Date(t).toISOString(),
      request_id: g.chars(HEX, 32),
      trace: g.chars(HEX, 32),
      upstream: `svc-${g.chars(HEX, 6)}:${g.int(1000, 9999)}`,
      route: `/api/${g.chars(BASE62, 10)}/${g.chars(TOKEN, 22)}`,
      auth: `Bearer ${secret && g.rnd() < 0.5 ? secret : bearer}`,
      note: secret ?? g.chars(BASE62, g.int(16, 40)),
      bytes: g.int(0, 1 << 20),
      status: g.pick([200, 200, 204, 401, 403, 502]),
    });
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join("\n").slice(0, bytes);
}

/** Prose with few identifiers: sentences of common words, a number now and then, one secret in 200 lines. */
export function proseLog(bytes: number, values: readonly string[], seed: number): string {
  const g = generator(seed);
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const words = Array.from({ length: g.int(8, 30) }, () => g.pick(PROSE_WORDS));
    words[0] = capital(words[0]!);
    if (g.rnd() < 0.2) words.splice(g.int(1, words.length - 1), 0, String(g.int(2, 2030)));
    if (g.rnd() < 1 / 200) words.splice(g.int(1, words.length - 1), 0, inForm(g, g.pick(values)));
    const line = `${words.join(" ")}.`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join("\n").slice(0, bytes);
}
