import { Client } from 'pg';
import { Harness, startHarness } from './support/auth-harness';

/**
 * Logs carry no personal data or secrets (issue #15): a failing statement used to be logged with
 * its parameters inlined — the email and the password hash of a sign-up. A trigger makes the
 * account insert fail; the service's captured log lines must say that it failed, and where,
 * but neither the email nor the hash.
 */
describe('logged database errors', () => {
  let harness: Harness;
  let db: Client;
  const lines: string[] = [];

  beforeAll(async () => {
    harness = await startHarness({ LOG_LEVEL: 'info' }, { logDestination: { write: (line: string) => void lines.push(line) } });
    db = new Client({ connectionString: harness.database.url });
    await db.connect();
    await db.query(`
      create function public.refuse_account() returns trigger language plpgsql as $$
      begin
        raise exception 'refused by the test' using detail = format('Failing row contains (%s, %s).', new.email, new.password_hash);
      end $$;
      create trigger refuse_account before insert on auth.account for each row execute function public.refuse_account();`);
  });

  afterAll(async () => {
    await db?.end();
    await harness?.close();
  });

  it('logs a failed sign-up insert without the email or the password hash', async () => {
    const email = 'leak-check.7f3a@example.test';
    const response = await harness.request('POST', '/v1/accounts', { body: { email, password: 'a long and private passphrase' } });
    expect(response.statusCode).toBe(500);

    const log = lines.join('');
    // The failure is there, with the statement's shape…
    expect(log).toContain('Unhandled error');
    expect(log).toMatch(/insert into \\?"auth\\?"\.\\?"account\\?"/);
    expect(log).toContain('refused by the test');
    // …but not what it carried.
    expect(log).not.toContain('leak-check.7f3a');
    expect(log).not.toContain('$argon2id$');
    expect(log).not.toContain('private passphrase');
  });
});
