import 'reflect-metadata';
import type { OpenAPIObject } from '@nestjs/swagger';
import { openApiDocumentOf } from '@keyhaven/http';
import { loadAuthConfig } from '../config/auth.config';
import { AppModule } from './app.module';
import { AUTH_API_DOCS } from './create-app';

/**
 * auth-service's OpenAPI document (what `/docs/json` serves) built from its modules without a
 * database: the account page's API types are generated from it (tools/scripts/api-types.mjs).
 * The default configuration is enough: no route depends on it.
 */
export function authOpenApiDocument(): Promise<OpenAPIObject> {
  return openApiDocumentOf(AppModule.forRoot(loadAuthConfig({}), 'postgres://document-only.invalid/none'), AUTH_API_DOCS);
}
