import { apiErrorFrom, parseRetryAfter } from './api';

describe('api', () => {
  describe('apiErrorFrom', () => {
    it('reads the uniform error body and Retry-After', async () => {
      const response = new Response(JSON.stringify({ error: { code: 'too_many_attempts', message: 'Wait.', details: { retryAfterSeconds: 30 } } }), {
        status: 429,
        headers: { 'content-type': 'application/json', 'retry-after': '30' },
      });
      const error = await apiErrorFrom(response);
      expect(error).toMatchObject({ status: 429, code: 'too_many_attempts', message: 'Wait.', retryAfterSeconds: 30, details: { retryAfterSeconds: 30 } });
    });

    it('makes a code from the status when the body is not the uniform shape', async () => {
      const error = await apiErrorFrom(new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
      expect(error).toMatchObject({ status: 502, code: 'http_502', message: 'Bad Gateway' });
    });
  });

  describe('parseRetryAfter', () => {
    it('reads delta-seconds and HTTP dates', () => {
      const now = Date.parse('2026-11-27T12:00:00Z');
      expect(parseRetryAfter('120', now)).toBe(120);
      expect(parseRetryAfter('Fri, 27 Nov 2026 12:01:30 GMT', now)).toBe(90);
      expect(parseRetryAfter(null, now)).toBeUndefined();
      expect(parseRetryAfter('soon', now)).toBeUndefined();
    });
  });
});
