import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/** What the OpenAPI document says about the service itself. */
export interface ApiDocsInfo {
  title: string;
  description: string;
  version: string;
}

/** The OpenAPI document of an app's controllers: what `/docs/json` serves. */
export function openApiDocument(app: INestApplication, docs: ApiDocsInfo): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle(docs.title).setDescription(docs.description).setVersion(docs.version).addBearerAuth().build(),
  );
}

/**
 * The same document without running the service, for build-time generators (the account page's
 * API types): Nest's preview mode scans the module graph and the controllers' metadata but
 * instantiates no provider, so nothing connects to a database or reads a key.
 */
export async function openApiDocumentOf(module: unknown, docs: ApiDocsInfo): Promise<OpenAPIObject> {
  const app = await NestFactory.create(module as never, new FastifyAdapter(), { preview: true, logger: false, abortOnError: false });
  try {
    return openApiDocument(app, docs);
  } finally {
    await app.close();
  }
}
