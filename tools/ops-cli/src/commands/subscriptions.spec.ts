import { Readable } from 'node:stream';
import { UsageError } from '../cli/cli-error';
import { Args } from '../cli/command';
import { CliIo } from '../cli/io';
import { Prompter } from '../cli/prompt';
import { formatTable } from '../cli/table';
import { SUBSCRIPTION_COLUMNS, subscriptionBody } from './subscriptions';

const SECRET = 'a-webhook-secret-of-32-characters';

function setup(options: { env?: Record<string, string>; stdin?: string[] } = {}) {
  const io = { env: options.env ?? {}, stdin: Readable.from((options.stdin ?? []).map((line) => `${line}\n`)) } as unknown as CliIo;
  const ctx = { io, prompt: new Prompter(io.stdin, { write: () => undefined }) };
  return {
    sut: (values: Record<string, string>) => subscriptionBody(new Args(values, [], 'subscriptions add'), ctx),
    ctx,
  };
}

describe(subscriptionBody.name, () => {
  it('builds a webhook subscription with its environments', async () => {
    const { sut } = setup();
    await expect(sut({ webhook: 'https://status.example.com/hooks', secret: SECRET, environments: 'production,staging' })).resolves.toEqual({
      kind: 'webhook',
      url: 'https://status.example.com/hooks',
      secret: SECRET,
      environments: ['production', 'staging'],
    });
  });

  it('takes the secret from KEYHAVEN_WEBHOOK_SECRET, else from a stdin line, so it stays off the command line', async () => {
    await expect(setup({ env: { KEYHAVEN_WEBHOOK_SECRET: SECRET } }).sut({ webhook: 'http://127.0.0.1:8080/' })).resolves.toMatchObject({ secret: SECRET });
    await expect(setup({ stdin: [SECRET] }).sut({ webhook: 'http://127.0.0.1:8080/' })).resolves.toMatchObject({ secret: SECRET });
    await expect(setup().sut({ webhook: 'http://127.0.0.1:8080/' })).rejects.toMatchObject({ exitCode: 2, message: 'No webhook secret given (stdin ended)' });
  });

  it('builds an e-mail subscription with a time zone', async () => {
    const { sut } = setup();
    await expect(sut({ email: 'ops@example.com', 'time-zone': 'Europe/Berlin' })).resolves.toEqual({
      kind: 'email',
      address: 'ops@example.com',
      timeZone: 'Europe/Berlin',
      environments: undefined,
    });
  });

  it.each([
    [{}, /exactly one of --webhook <url> or --email <address>/],
    [{ webhook: 'https://a.example', email: 'ops@example.com', secret: SECRET }, /exactly one/],
    [{ webhook: 'ftp://a.example', secret: SECRET }, /must be http:\/\/ or https:\/\//],
    [{ webhook: 'not a url', secret: SECRET }, /--webhook: not a URL/],
    [{ webhook: 'https://a.example', secret: 'short' }, /16 to 256 characters/],
    [{ webhook: 'https://a.example', secret: 'x'.repeat(257) }, /16 to 256 characters/],
    [{ webhook: 'https://a.example', secret: SECRET, 'time-zone': 'Europe/Berlin' }, /--time-zone belongs to --email/],
    [{ email: 'ops@example.com', secret: SECRET }, /--secret belongs to --webhook/],
    [{ email: 'ops.example.com' }, /not an e-mail address/],
    [{ email: 'ops@example.com', 'time-zone': 'Mars/Olympus' }, /not an IANA time zone/],
    [{ email: 'ops@example.com', environments: 'Prod' }, /--environments/],
  ])('refuses %p as a usage error', async (values, message) => {
    const { sut } = setup();
    const failure = await sut(values as Record<string, string>).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(UsageError);
    expect((failure as UsageError).message).toMatch(message);
  });
});

describe('subscription table', () => {
  it('shows the receiver, "all" for no environments and the e-mail time zone', () => {
    const text = formatTable(SUBSCRIPTION_COLUMNS, [
      { id: 's-1', kind: 'webhook', url: 'https://status.example.com/hooks', environments: [], createdAt: '2026-11-27T13:00:00.000Z' },
      { id: 's-2', kind: 'email', address: 'ops@example.com', timeZone: 'Europe/Berlin', environments: ['production'], createdAt: '2026-11-27T13:05:00.000Z' },
      { id: 's-3', kind: 'email', address: 'dev@example.com', timeZone: null, environments: [], createdAt: '2026-11-27T13:06:00.000Z' },
    ]);
    expect(text.split('\n')).toEqual([
      'ID   KIND     TO                                ENVIRONMENTS  TIME ZONE      CREATED (UTC)',
      's-1  webhook  https://status.example.com/hooks  all           -              2026-11-27 13:00',
      's-2  email    ops@example.com                   production    Europe/Berlin  2026-11-27 13:05',
      's-3  email    dev@example.com                   all           UTC            2026-11-27 13:06',
      '',
    ]);
  });
});
