import { contractProblem } from './openapi-fuzz';
import { operationsOf } from './openapi-fuzz-requests';

describe('contractProblem', () => {
  const answer = (statusCode: number, body: string) => ({ statusCode, body, headers: {} });

  it('accepts successes and 4xx in the error shape', () => {
    expect(contractProblem(answer(200, '<svg/>'))).toBeUndefined();
    expect(contractProblem(answer(400, '{"error":{"code":"validation_failed","message":"No.","details":{"fields":[]}}}'))).toBeUndefined();
  });

  it.each([
    ['a 5xx', answer(500, '{"error":{"code":"internal_error","message":"x"}}'), /answered 500/],
    ['a 4xx that is not JSON', answer(400, 'Client Error'), /not JSON/],
    ['a 4xx outside the shape', answer(414, '{"statusCode":414,"code":"FST_ERR_MAX_PARAM_LENGTH"}'), /outside the error shape/],
    ['a code that is not snake_case', answer(404, '{"error":{"code":"Not Found","message":"x"}}'), /outside the error shape/],
    ['a huge error', answer(400, JSON.stringify({ error: { code: 'validation_failed', message: 'x'.repeat(30_000) } })), /bytes of error/],
  ])('flags %s', (_label, given, problem) => {
    expect(contractProblem(given)).toMatch(problem);
  });
});

describe('operationsOf', () => {
  it('lists every operation with its path parameters, query and resolved body schema', () => {
    const operations = operationsOf(
      {
        paths: {
          '/v1/things/{id}': {
            patch: {
              parameters: [
                { name: 'id', in: 'path' },
                { name: 'q', in: 'query' },
              ],
              requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
            },
            get: {},
          },
        },
        components: { schemas: { Thing: { type: 'object', properties: { title: { type: 'string' } } } } },
      },
      ['GET /v1/things/{id}'],
    );
    expect(operations).toEqual([
      {
        method: 'PATCH',
        path: '/v1/things/{id}',
        pathParams: ['id'],
        query: [{ name: 'q', in: 'query' }],
        body: { type: 'object', properties: { title: { type: 'string' } } },
      },
    ]);
  });
});
