import { HttpStatus } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';
import { apiErrorsFor } from './api-errors';

const TABLE = {
  invalid_code: HttpStatus.UNAUTHORIZED,
  code_already_used: HttpStatus.UNAUTHORIZED,
  too_many_attempts: HttpStatus.TOO_MANY_REQUESTS,
  factor_not_found: HttpStatus.NOT_FOUND,
} as const satisfies Record<string, HttpStatus>;

const ApiErrors = apiErrorsFor(TABLE);

function responsesOf(
  decorate: MethodDecorator,
): Record<string, { description: string; schema: { properties: { error: { properties: { code: { enum: string[] } } } } } }> {
  class Routes {
    route(): string {
      return 'documented';
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(Routes.prototype, 'route') as PropertyDescriptor;
  decorate(Routes.prototype, 'route', descriptor);
  return Reflect.getMetadata(DECORATORS.API_RESPONSE, descriptor.value);
}

describe('apiErrorsFor', () => {
  it('documents one response per status, from the table, with the codes as an enum of the uniform body', () => {
    const responses = responsesOf(ApiErrors('too_many_attempts', 'invalid_code', { code: 'code_already_used', when: 'a code seen before' }));
    expect(Object.keys(responses).sort()).toEqual(['401', '429']);
    expect(responses['401']?.description).toBe('`invalid_code`; `code_already_used`: a code seen before');
    expect(responses['401']?.schema.properties.error.properties.code.enum).toEqual(['invalid_code', 'code_already_used']);
    expect(responses['429']?.schema.properties.error.properties.code.enum).toEqual(['too_many_attempts']);
  });

  it("adds up several ApiErrors on one route (a guard's and the route's), a code said twice keeping the first description applied", () => {
    const route: MethodDecorator = (target, key, descriptor) => {
      ApiErrors({ code: 'invalid_code', when: 'the route says why' })(target, key, descriptor);
      ApiErrors('invalid_code', 'code_already_used', 'factor_not_found')(target, key, descriptor);
    };
    const responses = responsesOf(route);
    expect(Object.keys(responses).sort()).toEqual(['401', '404']);
    expect(responses['401']?.description).toBe('`invalid_code`: the route says why; `code_already_used`');
    expect(responses['401']?.schema.properties.error.properties.code.enum).toEqual(['invalid_code', 'code_already_used']);
  });

  it('takes the status from the table, not from the route', () => {
    const responses = responsesOf(ApiErrors('factor_not_found'));
    expect(Object.keys(responses)).toEqual(['404']);
  });
});
