import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError } from './domain-error';

export interface FieldProblem {
  field: string;
  problems: string[];
}

/** Flattens class-validator's tree into `[{ field: 'a.b', problems: [...] }]`. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * At most this many fields are listed in an answer (and in its message): a body with hundreds
 * of unknown keys gets a short answer that says how many more there were, not a list of all.
 */
export const MAX_LISTED_FIELDS = 20;

/**
 * The one validation pipe of a service: unknown fields are refused, types are converted,
 * and failures become 400 `validation_failed` with the fields in `details` (at most
 * MAX_LISTED_FIELDS of them, each with at most a few problems; `omittedFields` counts the rest).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const all = flattenValidationErrors(errors);
      const fields = all
        .slice(0, MAX_LISTED_FIELDS)
        .map((f) => ({ field: f.field.slice(0, 200), problems: f.problems.slice(0, 5).map((p) => p.slice(0, 300)) }));
      const omitted = all.length - fields.length;
      const summary = fields.map((f) => `${f.field}: ${f.problems.join(', ')}`).join('; ') + (omitted > 0 ? `; and ${omitted} more fields` : '');
      return new DomainError('validation_failed', `The request is not valid: ${summary}`, omitted > 0 ? { fields, omittedFields: omitted } : { fields });
    },
  });
}
