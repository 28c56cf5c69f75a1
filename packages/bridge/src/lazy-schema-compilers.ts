import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

type Compile = (routeSchema: unknown) => unknown;
type BuildCompiler = (externalSchemas: unknown, options: unknown) => Compile;

/** fastify's own compilers, resolved from fastify's folder (they are its dependencies, not ours). */
const requireFromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));

function lazily(load: () => BuildCompiler): BuildCompiler {
  return (externalSchemas, options) => {
    let compile: Compile | undefined;
    return (routeSchema) => {
      compile ??= load()(externalSchemas, options);
      return compile(routeSchema);
    };
  };
}

/**
 * fastify's `schemaController.compilersFactory`: Ajv and fast-json-stringify, loaded the
 * first time a route's schema is compiled. No route of a bridge or sidecar declares one,
 * yet fastify loads both when it starts (~0.6 MB of source held in every sidecar's heap).
 */
export const lazySchemaCompilers = {
  buildValidator: lazily(() => (requireFromFastify('@fastify/ajv-compiler') as () => BuildCompiler)()),
  buildSerializer: lazily(() => (requireFromFastify('@fastify/fast-json-stringify-compiler') as () => BuildCompiler)()),
} as unknown as CompilersFactory;
