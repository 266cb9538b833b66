import { HttpStatus } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';

/** An error a route answers with: its code, or its code and when it comes (said beside the code). */
export type DocumentedError<Code extends string> = Code | { code: Code; when: string };

/** The errors documented so far on a route or controller: several ApiErrors (a route's own, its guards') add up. */
const DOCUMENTED_ERRORS = Symbol('keyhaven:documented-errors');

/**
 * The documenting decorator of one service's error table:
 * `export const ApiErrors = apiErrorsFor(AUTH_ERROR_STATUS)`, then on a route
 * `@ApiErrors('invalid_code', { code: 'too_many_attempts', when: '…' })`.
 * Each status gets one documented response: its codes (an enum in the uniform body
 * `{error:{code,message,details?}}`) and their descriptions. The status comes from the same table
 * the exception filter answers with, so the document cannot give a code another status than the
 * service does, and a code that is not in the table does not compile. Several ApiErrors on one
 * route (its own, and those of decorators such as a guard's) add up; a code said twice keeps the
 * first description applied (the one nearest the route).
 */
export function apiErrorsFor<Code extends string>(table: Readonly<Record<Code, HttpStatus>>) {
  return function ApiErrors(...errors: DocumentedError<Code>[]): MethodDecorator & ClassDecorator {
    const added = errors.map((error) => (typeof error === 'string' ? { code: error } : error));
    const decorate = (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
      const holder: object = descriptor ? (descriptor.value as object) : target;
      const documented: { code: Code; when?: string }[] = [
        ...((Reflect.getOwnMetadata(DOCUMENTED_ERRORS, holder) as { code: Code; when?: string }[] | undefined) ?? []),
      ];
      for (const entry of added) if (!documented.some(({ code }) => code === entry.code)) documented.push(entry);
      Reflect.defineMetadata(DOCUMENTED_ERRORS, documented, holder);
      const byStatus = new Map<HttpStatus, { code: Code; when?: string }[]>();
      for (const entry of documented) byStatus.set(table[entry.code], [...(byStatus.get(table[entry.code]) ?? []), entry]);
      const responses: Record<string, unknown> = { ...((Reflect.getMetadata(DECORATORS.API_RESPONSE, holder) as Record<string, unknown> | undefined) ?? {}) };
      for (const [status, entries] of [...byStatus].sort(([a], [b]) => a - b)) {
        responses[status] = {
          description: entries.map(({ code, when }) => (when ? `\`${code}\`: ${when}` : `\`${code}\``)).join('; '),
          schema: errorBodySchema(entries.map(({ code }) => code)),
        };
      }
      Reflect.defineMetadata(DECORATORS.API_RESPONSE, responses, holder);
      return descriptor ?? target;
    };
    return decorate as MethodDecorator & ClassDecorator;
  };
}

/** The uniform error body (ErrorBody), its code one of these. */
function errorBodySchema(codes: readonly string[]) {
  return {
    type: 'object' as const,
    required: ['error'],
    properties: {
      error: {
        type: 'object' as const,
        required: ['code', 'message'],
        properties: {
          code: { type: 'string' as const, enum: [...new Set(codes)] },
          message: { type: 'string' as const },
          details: {},
        },
      },
    },
  };
}
