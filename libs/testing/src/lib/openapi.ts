import 'reflect-metadata';
import { type DynamicModule, type Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type OpenAPIObject } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { createOpenApiDocument, useApiPrefix } from '@ward/observability';

type ModuleRef = Type | DynamicModule;

function isDynamic(m: ModuleRef): m is DynamicModule {
  return typeof m === 'object' && 'module' in m;
}

/** Every controller a module tree declares, read from its metadata (nothing is instantiated). */
function controllersOf(root: ModuleRef, seen = new Set<unknown>()): Type[] {
  if (seen.has(root)) {
    return [];
  }
  seen.add(root);
  const cls = isDynamic(root) ? root.module : root;
  const declared = [
    ...((Reflect.getMetadata('controllers', cls) as Type[] | undefined) ?? []),
    ...(isDynamic(root) ? (root.controllers ?? []) : []),
  ];
  const imports = [
    ...((Reflect.getMetadata('imports', cls) as ModuleRef[] | undefined) ?? []),
    ...(isDynamic(root) ? ((root.imports ?? []) as ModuleRef[]) : []),
  ].filter((m) => typeof m === 'function' || isDynamic(m));
  return [...new Set([...declared, ...imports.flatMap((m) => controllersOf(m, seen))])];
}

/**
 * A service's OpenAPI document built in-process from its module's
 * controllers, with every dependency stubbed (no broker, database or Redis):
 * the same document `/docs/json` serves, for unit tests of the API contract.
 */
export async function openApiDocumentOf(module: ModuleRef): Promise<OpenAPIObject> {
  const controllers = controllersOf(module);
  const ref = await Test.createTestingModule({ controllers })
    .useMocker(() => ({}))
    .compile();
  const app = ref.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    logger: false,
  });
  try {
    useApiPrefix(app);
    return createOpenApiDocument(app, { title: 'test', description: 'test', version: '1' });
  } finally {
    await app.close();
  }
}
