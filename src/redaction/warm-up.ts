/**
 * The build's warm-up (decision 0355). A process's first redactor is built by code V8 has not compiled
 * yet: 10,000 values took 320 to 400 ms there for sets a warm process builds in 70 to 95, and that first
 * build is what the first run of every organization waits for after a restart. Small builds of made-up
 * values of every shape, one per turn of the event loop, get the build's functions compiled before a run
 * needs them. Then a short chain of rebuilds, each after one value changed, compiles the layered rebuild's
 * code (decision 0360). The values are generated here and never leave this module: no secret is read.
 */
import { createRedactor, type Redactor } from "./redactor.js";

/** How many builds, and how many values of each shape each one holds. */
const ROUNDS = 40;
const PER_SHAPE = 6;
/**
 * The chain: a build of eight rounds' values (4,700 patterns: enough to keep layers, and for seven
 * changes within the overlay's share), then seven rebuilds.
 */
const CHAIN = 8;
/** Where a round's values of digits start (the fourth shape): a change to one of them adds few forms. */
const DIGITS_AT = 3 * PER_SHAPE;

/** mulberry32: small, seeded, good enough for made-up values. */
function prng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");
const ACCENTED = "äöüßéèêçñøåæœłžščğıéàùâîôûëïÿ€";

/** Values of the shapes the forms differ most on: tokens, printable and accented text, URLs, JSON. */
function shapes(random: () => number): (() => string)[] {
  const chars = (alphabet: string, n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(random() * alphabet.length)];
    return s;
  };
  const length = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  return [
    () => `sk_live_${chars(ALNUM, length(16, 40))}`,
    () => chars(`${ALNUM}_-`, length(8, 52)),
    () => chars("0123456789abcdef", length(8, 64)),
    () => chars("0123456789", length(4, 12)),
    () => chars(PRINTABLE, length(4, 64)),
    () => `${chars(ALNUM, 4)}${chars(ACCENTED, length(2, 8))}${chars(ALNUM, 4)}`,
    () => `https://u${chars(ALNUM, 6)}:${chars(PRINTABLE.slice(1), 12)}@db.example.net/x`,
    () => `{"k":"${chars(ALNUM, 10)}","v":${length(0, 99)}}`,
  ];
}

/** The values of one warm-up build. */
export function warmUpValues(round: number): string[] {
  const random = prng(0x5eed + round);
  return shapes(random).flatMap((make) => Array.from({ length: PER_SHAPE }, make));
}

/** The chain's values, and the redactor it built last. */
export interface WarmUpChain {
  values: string[];
  last?: Redactor;
}

/** Step `step` of the chain: its first build (step 0), or a rebuild after one value changed. */
export function chainStep(chain: WarmUpChain, step: number): Redactor {
  if (step === 0) {
    chain.values = Array.from({ length: CHAIN }, (_, r) => warmUpValues(ROUNDS + r)).flat();
  } else {
    const perRound = chain.values.length / CHAIN;
    const k = (step % CHAIN) * perRound + DIGITS_AT + (step % PER_SHAPE);
    chain.values = chain.values.slice();
    chain.values[k] = `${chain.values[k]}7`;
  }
  chain.last = createRedactor(chain.values, step === 0 ? undefined : chain.last);
  return chain.last;
}

/**
 * Starts the warm-up after `delayMs` (so it does not hold up the start itself) and answers a function
 * that stops it. Each build takes a turn of the event loop: 3 to 20 ms of CPU while the code is cold, a
 * few ms after. The timers do not keep the process alive.
 */
export function startBuildWarmUp(options: {
  delayMs: number;
  onDone?: () => void;
  /** A build that threw ends the warm-up (it only saves time) instead of the process. */
  onError?: (error: unknown) => void;
}): () => void {
  let round = 0;
  let timer: NodeJS.Timeout | undefined;
  const chain: WarmUpChain = { values: [] };
  const next = () => {
    try {
      if (round < ROUNDS) createRedactor(warmUpValues(round));
      else chainStep(chain, round - ROUNDS);
    } catch (error) {
      options.onError?.(error);
      return;
    }
    round++;
    if (round < ROUNDS + CHAIN) schedule(0);
    else {
      // The stop function's scope holds the chain: nothing of it is kept past the end.
      chain.last = undefined;
      chain.values = [];
      options.onDone?.();
    }
  };
  const schedule = (ms: number) => {
    timer = setTimeout(next, ms);
    timer.unref();
  };
  schedule(options.delayMs);
  return () => clearTimeout(timer);
}
