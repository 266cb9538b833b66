import { applyDecorators, HttpStatus } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

/** An error a route answers with: its code, or its code and when it comes (said beside the code). */
export type DocumentedError<Code extends string> = Code | { code: Code; when: string };

/**
 * The documenting decorator of one service's error table:
 * `export const ApiErrors = apiErrorsFor(AUTH_ERROR_STATUS)`, then on a route
 * `@ApiErrors('invalid_code', { code: 'too_many_attempts', when: 'with Retry-After' })`.
 * Each status gets one documented response: its codes (an enum in the uniform body
 * `{error:{code,message,details?}}`) and their descriptions. The status comes from the same table
 * the exception filter answers with, so the document cannot give a code another status than the
 * service does, and a code that is not in the table does not compile.
 */
export function apiErrorsFor<Code extends string>(table: Readonly<Record<Code, HttpStatus>>) {
  return function ApiErrors(...errors: DocumentedError<Code>[]): MethodDecorator & ClassDecorator {
    const byStatus = new Map<HttpStatus, { code: Code; when?: string }[]>();
    for (const error of errors) {
      const entry = typeof error === 'string' ? { code: error } : error;
      const status = table[entry.code];
      byStatus.set(status, [...(byStatus.get(status) ?? []), entry]);
    }
    return applyDecorators(
      ...[...byStatus]
        .sort(([a], [b]) => a - b)
        .map(([status, entries]) =>
          ApiResponse({
            status,
            description: entries.map(({ code, when }) => (when ? `\`${code}\`: ${when}` : `\`${code}\``)).join('; '),
            schema: errorBodySchema(entries.map(({ code }) => code)),
          }),
        ),
    );
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
