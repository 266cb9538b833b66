import { redactDatabaseError, redactDatabaseText } from './redact';

describe('redactDatabaseText', () => {
  it('keeps a failed statement but not its values', () => {
    const message = `insert into "auth"."account" ("id", "email", "password_hash") values ('4b1c…', 'ada@example.test', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'), ('x', 'o''brien@example.test', E'\\\\x00') returning "id" - audit insert refused`;
    const redacted = redactDatabaseText(message);
    expect(redacted).not.toMatch(/ada@example|brien|argon2id/);
    expect(redacted).toContain('insert into "auth"."account" ("id", "email", "password_hash") values');
    expect(redacted).toContain(' - audit insert refused');
  });

  it('drops the values PostgreSQL quotes in its details', () => {
    expect(redactDatabaseText('Key (email)=(ada@example.test) already exists.')).toBe('Key (email)=([redacted]) already exists.');
    expect(redactDatabaseText('Key (account_id, name)=(7, Phone (old)) already exists.')).toBe('Key (account_id, name)=([redacted]) already exists.');
    expect(redactDatabaseText('Failing row contains (1, ada@example.test, null).')).toBe('Failing row contains ([redacted]).');
  });

  it('leaves text without statements alone', () => {
    expect(redactDatabaseText('Generated response-signing key abc')).toBe('Generated response-signing key abc');
  });
});

describe('redactDatabaseError', () => {
  it('redacts every field that carries a statement or values, and causes', () => {
    const redacted = redactDatabaseError({
      type: 'NotNullConstraintViolationException',
      message: 'update "release"."subscription" set "address" = \'ops@example.test\' - null value',
      stack: "NotNullConstraintViolationException: update x set a = 'ops@example.test' - null value\n    at …",
      detail: 'Failing row contains (ops@example.test, s3cret).',
      parameters: ['ops@example.test'],
      cause: { message: "select 1 where a = 'ops@example.test'" },
      code: '23502',
    });
    expect(JSON.stringify(redacted)).not.toContain('ops@example.test');
    expect(JSON.stringify(redacted)).not.toContain('s3cret');
    expect(redacted.code).toBe('23502');
  });
});
