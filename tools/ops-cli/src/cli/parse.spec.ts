import { UsageError } from './cli-error';
import { CliModule, Command } from './command';
import { parseInvocation } from './parse';

const noop = async () => undefined;
const add: Command = {
  name: 'add',
  summary: 'add',
  positionals: [{ name: 'version', description: 'v', required: true }],
  options: {
    channel: { type: 'string', description: 'c' },
    edition: { type: 'string', multiple: true, description: 'e' },
    security: { type: 'boolean', description: 's' },
  },
  run: noop,
};
const login: Command = { name: 'login', summary: 'login', options: { email: { type: 'string', description: 'e' } }, run: noop };
const MODULES: CliModule[] = [login, { name: 'releases', summary: 'releases', commands: [add, { name: 'list', summary: 'list', run: noop }] }];

function setup() {
  return {
    sut: (...argv: string[]) => parseInvocation(argv, MODULES),
    ctx: {
      usageError(argv: string[]): UsageError {
        try {
          parseInvocation(argv, MODULES);
        } catch (error) {
          if (error instanceof UsageError) return error;
          throw error;
        }
        throw new Error('expected a usage error');
      },
    },
  };
}

describe(parseInvocation.name, () => {
  it('finds a grouped command and parses its positionals and options', () => {
    const { sut } = setup();
    const invocation = sut('releases', 'add', '14.3.0', '--channel', 'stable', '--edition', 'a', '--edition', 'b', '--security');
    expect(invocation.kind).toBe('run');
    if (invocation.kind !== 'run') return;
    expect(invocation.path).toBe('releases add');
    expect(invocation.args.positionals).toEqual(['14.3.0']);
    expect(invocation.args.string('channel')).toBe('stable');
    expect(invocation.args.strings('edition')).toEqual(['a', 'b']);
    expect(invocation.args.flag('security')).toBe(true);
  });

  it('accepts global options before and after the command', () => {
    const { sut } = setup();
    const invocation = sut('--release-url', 'http://r:1', '--json', 'releases', 'list', '--auth-url=http://a:2');
    if (invocation.kind !== 'run') throw new Error(invocation.kind);
    expect(invocation.globals.string('release-url')).toBe('http://r:1');
    expect(invocation.globals.string('auth-url')).toBe('http://a:2');
    expect(invocation.globals.flag('json')).toBe(true);
  });

  it('treats everything after -- as positionals', () => {
    const { sut } = setup();
    const invocation = sut('releases', 'add', '--channel', 'x', '--', '--odd');
    if (invocation.kind !== 'run') throw new Error(invocation.kind);
    expect(invocation.args.positionals).toEqual(['--odd']);
  });

  it.each([
    [['--help'], undefined, 0],
    [[], undefined, 2],
    [['releases'], 'releases', 2],
    [['releases', '--help'], 'releases', 0],
    [['releases', 'add', '-h'], 'add', 0],
    [['login', '--help'], 'login', 0],
  ])('answers %j with help (exit %s)', (argv, about, exitCode) => {
    const { sut } = setup();
    const invocation = sut(...argv);
    expect(invocation).toMatchObject({ kind: 'help', exitCode });
    if (invocation.kind === 'help') expect(invocation.command?.name ?? invocation.module?.name).toBe(about);
  });

  it('answers --version', () => {
    expect(setup().sut('--version')).toEqual({ kind: 'version' });
  });

  it.each([
    [['nope'], 'Unknown command "nope"', ''],
    [['releases', 'nope'], 'Unknown command "releases nope"', 'releases'],
    [['releases', 'add', '1.0.0', '--chanel', 'x'], "Unknown option '--chanel'", 'releases add'],
    [['releases', 'add'], 'Missing <version>', 'releases add'],
    [['releases', 'add', '1.0.0', '2.0.0'], 'Unexpected argument "2.0.0"', 'releases add'],
    [['releases', 'add', '1.0.0', '--channel'], "Option '--channel <value>' argument missing", 'releases add'],
    [['login', '--security'], "Unknown option '--security'", 'login'],
  ])('rejects %j: %s', (argv, message, helpCommand) => {
    const error = setup().ctx.usageError(argv);
    expect(error.message).toBe(message);
    expect(error.helpCommand).toBe(helpCommand);
    expect(error.exitCode).toBe(2);
  });
});
