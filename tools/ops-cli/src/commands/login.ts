import { CliError, UsageError } from '../cli/cli-error';
import { Command, CommandContext } from '../cli/command';
import { readJwtClaims, StoredSession } from '../cli/credentials';
import { ExitCode } from '../cli/exit-codes';

/** POST /v1/sessions and the second-factor steps (auth-service contract v1). */
interface SessionAnswer {
  accessToken: string;
  tokenType?: string;
  expiresIn?: number;
  aal: number;
  mfaRequired: boolean;
  methods?: string[];
  enrollmentRequired?: boolean;
  enrollmentDeadline?: string;
  recoveryCodesRemaining?: number;
  warnings?: string[];
}

/** auth-service warns (`recovery_codes_low`) at this many remaining codes or fewer. */
const RECOVERY_CODES_LOW = 3;

export const loginCommand: Command = {
  name: 'login',
  summary: 'Sign in to auth-service (password, then a TOTP code) and keep the token for later commands',
  description: [
    'The password is read from KEYHAVEN_PASSWORD, else from a prompt that does not echo (on a',
    'terminal), else from the first line of stdin. When the account has a second factor, the',
    'TOTP code comes from --code, KEYHAVEN_TOTP_CODE, a prompt, or the next line of stdin.',
    'The token is stored in ~/.config/keyhaven/credentials.json (mode 0600); KEYHAVEN_TOKEN, when',
    'set, is used instead of the file by every command.',
  ].join('\n'),
  options: {
    email: { type: 'string', valueName: 'address', description: 'the account e-mail (env KEYHAVEN_EMAIL; else prompted)' },
    code: { type: 'string', valueName: 'digits', description: 'the current TOTP code of your authenticator app' },
    'recovery-code': { type: 'string', valueName: 'code', description: 'use a recovery code instead of a TOTP code' },
    'print-token': { type: 'boolean', description: 'print the access token to stdout instead of storing it (for CI)' },
  },
  examples: [
    'keyhaven-ops login --email ops@example.com',
    'KEYHAVEN_PASSWORD=… keyhaven-ops login --email ops@example.com --code "$(oathtool --totp -b "$SECRET")"',
    'export KEYHAVEN_TOKEN="$(printf "%s\\n" "$PASSWORD" | keyhaven-ops login --email ops@example.com --code 123456 --print-token)"',
  ],
  async run(args, ctx) {
    const email = args.string('email') ?? ctx.io.env['KEYHAVEN_EMAIL'] ?? (await ctx.prompt.ask('E-mail: ', 'e-mail address')).trim();
    if (email === '') throw new UsageError('Missing --email', 'login');
    const password = ctx.io.env['KEYHAVEN_PASSWORD'] ?? (await ctx.prompt.askHidden('Password: ', 'password'));
    let answer = await ctx.auth.post<SessionAnswer>('/v1/sessions', { body: { email, password } });
    if (answer.mfaRequired) answer = await secondFactor(answer, args.string('code'), args.string('recovery-code'), ctx);
    const claims = readJwtClaims(answer.accessToken);
    // `enrolment`: the spelling auth-service wrote before `enrollment` (see LEGACY_ENROLLMENT_USE there).
    if (answer.enrollmentRequired && (claims['token_use'] === 'enrollment' || claims['token_use'] === 'enrolment')) {
      const ended = answer.enrollmentDeadline ? ` (the grace period ended ${answer.enrollmentDeadline})` : '';
      throw new CliError(
        `This account must set up a second factor before it can sign in here${ended}. Enroll an authenticator app at ${ctx.globals.authUrl}, then log in again.`,
        ExitCode.auth,
        'enrollment_required',
      );
    }
    const session = toSession(email, answer, claims, ctx);
    // recovery_codes_low is said in words below, with the count.
    for (const warning of answer.warnings ?? []) if (warning !== 'recovery_codes_low') ctx.out.warn(warning);
    if (answer.enrollmentRequired) {
      ctx.out.warn(
        `set up a second factor before ${answer.enrollmentDeadline ?? 'the grace period ends'}, or this account will be locked out of ops commands.`,
      );
    }
    // A warning only when few are left (auth-service's threshold, RECOVERY_CODES_LOW); after
    // using one, the count is a plain note.
    const remaining = answer.recoveryCodesRemaining;
    if (remaining !== undefined && remaining <= RECOVERY_CODES_LOW) {
      ctx.out.warn(
        `only ${remaining} recovery code${remaining === 1 ? '' : 's'} left: make a new set on the account page (${ctx.globals.authUrl}) or with POST /v1/me/recovery-codes.`,
      );
    } else if (remaining !== undefined && args.has('recovery-code')) {
      ctx.out.note(`${remaining} recovery codes left.`);
    }
    if (!(session.roles ?? []).includes('ops')) ctx.out.warn('this account has no ops role: release-api will refuse changes (403).');
    if ((session.aal ?? 1) < 2) {
      ctx.out.warn(
        'this session has no second factor (aal1): release-api refuses ops changes without one (403 step_up_required). Enroll an authenticator app on the account page, then log in again.',
      );
    }
    if (args.flag('print-token')) {
      ctx.io.stdout.write(`${answer.accessToken}\n`);
      return;
    }
    await ctx.credentials.save(session);
    const summary = { email: session.email, aal: session.aal, roles: session.roles, expiresAt: session.expiresAt, credentials: ctx.credentials.path };
    ctx.out.result(
      summary,
      `Logged in as ${email} (aal${session.aal ?? '?'}, roles: ${(session.roles ?? []).join(', ') || 'none'}) until ${session.expiresAt}.`,
    );
  },
};

async function secondFactor(first: SessionAnswer, code: string | undefined, recoveryCode: string | undefined, ctx: CommandContext): Promise<SessionAnswer> {
  const pending = first.accessToken;
  const methods = first.methods ?? [];
  if (recoveryCode !== undefined) {
    return ctx.auth.post<SessionAnswer>('/v1/sessions/mfa/recovery-code', { body: { code: recoveryCode.trim() }, token: pending });
  }
  if (!methods.includes('totp')) {
    throw new CliError(
      `This account's second factor is ${methods.join(' or ') || 'unknown'}, which a terminal cannot use. Use --recovery-code, or add an authenticator app.`,
      ExitCode.auth,
      'unsupported_factor',
    );
  }
  const totp = code ?? ctx.io.env['KEYHAVEN_TOTP_CODE'] ?? (await ctx.prompt.ask('Authenticator code: ', 'TOTP code'));
  return ctx.auth.post<SessionAnswer>('/v1/sessions/mfa/totp', { body: { code: totp.replace(/\s+/g, '') }, token: pending });
}

function toSession(email: string, answer: SessionAnswer, claims: Record<string, unknown>, ctx: CommandContext): StoredSession {
  const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : undefined;
  const expiresAt = answer.expiresIn !== undefined ? ctx.io.now().getTime() + answer.expiresIn * 1000 : (exp ?? ctx.io.now().getTime());
  const roles = Array.isArray(claims['roles']) ? claims['roles'].filter((role): role is string => typeof role === 'string') : undefined;
  return { authUrl: ctx.globals.authUrl, email, accessToken: answer.accessToken, expiresAt: new Date(expiresAt).toISOString(), aal: answer.aal, roles };
}

export const logoutCommand: Command = {
  name: 'logout',
  summary: 'Forget the stored token',
  async run(_args, ctx) {
    const removed = await ctx.credentials.remove();
    ctx.out.result({ removed, credentials: ctx.credentials.path }, removed ? 'Logged out.' : 'Not logged in.');
    if (ctx.io.env['KEYHAVEN_TOKEN']) ctx.out.warn('KEYHAVEN_TOKEN is still set in the environment.');
  },
};

export const whoamiCommand: Command = {
  name: 'whoami',
  summary: 'Show who the stored token (or KEYHAVEN_TOKEN) belongs to and until when it is valid',
  async run(_args, ctx) {
    const active = await ctx.credentials.token();
    const claims = readJwtClaims(active.token);
    const from = active.source === 'env' ? 'KEYHAVEN_TOKEN' : `the token in ${ctx.credentials.path}`;
    // Only what the token says about itself (its signature is auth-service's to check): a value
    // that is no JWT, or one without a subject, belongs to nobody — say so and fail.
    if (typeof claims['sub'] !== 'string' || typeof claims['exp'] !== 'number') {
      throw new CliError(
        `${from} is not an access token of auth-service (no readable JWT with sub and exp). Run: keyhaven-ops login`,
        ExitCode.auth,
        'invalid_token',
      );
    }
    if (claims['exp'] * 1000 <= ctx.io.now().getTime()) {
      throw new CliError(`${from} expired at ${new Date(claims['exp'] * 1000).toISOString()}. Run: keyhaven-ops login`, ExitCode.auth, 'session_expired');
    }
    const exp = typeof claims['exp'] === 'number' ? new Date(claims['exp'] * 1000).toISOString() : active.session?.expiresAt;
    const info = {
      source: active.source === 'env' ? 'KEYHAVEN_TOKEN' : ctx.credentials.path,
      email: (claims['email'] as string | undefined) ?? active.session?.email,
      roles: (claims['roles'] as string[] | undefined) ?? active.session?.roles ?? [],
      aal: (claims['aal'] as number | undefined) ?? active.session?.aal,
      issuer: (claims['iss'] as string | undefined) ?? active.session?.authUrl,
      expiresAt: exp,
    };
    ctx.out.result(
      info,
      [
        `${info.email ?? '(unknown)'} — roles: ${info.roles.join(', ') || 'none'}, aal${info.aal ?? '?'}`,
        `issuer ${info.issuer ?? '?'}, valid until ${info.expiresAt ?? '?'}`,
        `token from ${info.source}`,
      ].join('\n'),
    );
  },
};
