/**
 * Queries built and compiled once. Kysely builds an operation tree and compiles it to SQL on every call,
 * and the statement cache (db.ts) then hashes the new SQL text to find its prepared statement; for the
 * few queries every request runs (a list page, its usage, the caller's session and role) that was work
 * repeated on each request for an answer that never changes. A prepared query builds its query once per
 * database and shape, with stand-ins where the arguments go, keeps the compiled SQL (the same string
 * object each time, so the statement cache finds it at once), and on each call only puts the arguments
 * where the stand-ins were. The query is still written once in Kysely and serves SQLite and PostgreSQL
 * alike (decision 0280).
 */
import type { Compilable, CompiledQuery } from "kysely";
import type { Tx } from "./types.js";

const MAX_SHAPES = 200;

/** Stands for argument `index` while the query is compiled. */
class Slot {
  constructor(readonly index: number) {}
}

/** The compiled query of one database and shape: its SQL, and which parameter is which argument. */
interface Compiled {
  query: CompiledQuery;
  /** Per parameter: the argument's index, or -1 for a value the query fixed itself. */
  from: number[];
}

export interface PreparedQuery<A extends unknown[], R> {
  /** Runs the query with these arguments; `shape` names a variant the arguments alone do not fix. */
  execute(tx: Tx, args: A, shape?: string): Promise<R[]>;
}

/**
 * `build` gets the database and a stand-in for each argument (pass them where the values go: `where`,
 * `in` lists, `limit`), never the values themselves, so it must not branch on them: a query whose SQL
 * depends on an argument (an optional condition, an `in` list's length) names that variant in `shape`,
 * and builds it from `shape`'s own information.
 */
export function prepared<A extends unknown[], R>(
  build: (db: Tx, args: A, shape: string) => Compilable<R>,
): PreparedQuery<A, R> {
  // One set per database (its adapter is shared by the database and all its transactions): the same
  // module serves SQLite and PostgreSQL stores side by side in tests.
  const byDatabase = new WeakMap<object, Map<string, Compiled>>();

  function compile(tx: Tx, count: number, shape: string): Compiled {
    const slots = Array.from({ length: count }, (_, i) => new Slot(i)) as unknown as A;
    const query = build(tx, slots, shape).compile();
    const from = query.parameters.map((p) => (p instanceof Slot ? p.index : -1));
    return { query, from };
  }

  return {
    async execute(tx, args, shape = "") {
      const adapter = tx.getExecutor().adapter;
      let shapes = byDatabase.get(adapter);
      if (!shapes) {
        shapes = new Map();
        byDatabase.set(adapter, shapes);
      }
      const key = `${args.length}:${shape}`;
      let compiled = shapes.get(key);
      if (!compiled) {
        // `in` lists make a variant per length: keep the most recent ones, as the statement cache does.
        if (shapes.size >= MAX_SHAPES) shapes.delete(shapes.keys().next().value as string);
        compiled = compile(tx, args.length, shape);
        shapes.set(key, compiled);
      }
      const { query, from } = compiled;
      const parameters = from.map((index, i) => (index < 0 ? query.parameters[i] : args[index]));
      // The compiled query's own tree and id: only its parameters differ from the one Kysely compiled.
      const result = await tx.executeQuery<R>({ ...query, parameters } as CompiledQuery<R>);
      return result.rows;
    },
  };
}
