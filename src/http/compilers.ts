/**
 * Fastify's schema compilers (ajv for validation, fast-json-stringify for serialization), loaded when a
 * route first asks for one instead of when the server is created. Our routes validate and serialize with
 * zod (route.ts, server.ts), so in practice neither ever loads: that is about 400 KB of code a cold start
 * no longer reads, compiles or runs (decision 0275). A plugin that does declare a JSON schema gets exactly
 * Fastify's defaults, the same packages Fastify would have loaded itself.
 */
import { createRequire } from "node:module";
import type { FastifyServerOptions } from "fastify";

type CompilersFactory = NonNullable<
  Extract<FastifyServerOptions["schemaController"], object>["compilersFactory"]
>;
type Builder = (externalSchemas: unknown, options: unknown) => unknown;

/** Loads one of Fastify's own dependencies, resolved from Fastify's directory as Fastify would. */
function fastifyDependency(name: string): () => Builder {
  let builder: Builder | undefined;
  return () => {
    if (!builder) {
      const local = createRequire(import.meta.url);
      const fromFastify = createRequire(local.resolve("fastify"));
      builder = (fromFastify(name) as () => Builder)();
    }
    return builder;
  };
}

export function lazyCompilers(): CompilersFactory {
  const validator = fastifyDependency("@fastify/ajv-compiler");
  const serializer = fastifyDependency("@fastify/fast-json-stringify-compiler");
  return {
    buildValidator: ((schemas: unknown, options: unknown) =>
      validator()(schemas, options)) as CompilersFactory["buildValidator"],
    buildSerializer: ((schemas: unknown, options: unknown) =>
      serializer()(schemas, options)) as CompilersFactory["buildSerializer"],
  };
}
