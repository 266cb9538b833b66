import { COMMANDS } from '../commands';
import { CliModule, Command, isGroup } from './command';
import { renderHelp } from './help';

describe(renderHelp.name, () => {
  const commands: [string, CliModule, Command][] = COMMANDS.flatMap((module): [string, CliModule, Command][] =>
    isGroup(module) ? module.commands.map((command) => [`${module.name} ${command.name}`, module, command]) : [[module.name, module, module]],
  );

  it.each(commands)('documents "%s": usage line, every option and the global options', (path, module, command) => {
    const text = renderHelp(COMMANDS, module, command);
    expect(text).toContain(`Usage: keyhaven-ops ${path}`);
    for (const option of Object.keys(command.options ?? {})) expect(text).toContain(`--${option}`);
    for (const positional of command.positionals ?? []) expect(text).toContain(`<${positional.name}>`);
    expect(text).toContain('--release-url <url>');
  });

  it('puts the summary of a long group entry on its own line instead of widening every row', () => {
    const text = renderHelp(COMMANDS);
    const lines = text.split('\n');
    const at = lines.findIndex((line) => line.startsWith('  maintenance <announce|'));
    expect(lines[at]).toBe('  maintenance <announce|list|show|reschedule|cancel|deliveries|replay>');
    expect(lines[at + 1]).toMatch(/^ {39}Maintenance windows: announce/);
    expect(lines.find((line) => line.startsWith('  login'))).toMatch(/^ {2}login {32}Sign in to auth-service/);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(140);
  });

  it('lists every command and the exit codes at the top level', () => {
    const text = renderHelp(COMMANDS);
    for (const module of COMMANDS) expect(text).toContain(module.name);
    expect(text).toMatch(/Exit codes: 0 ok, 1 .*2 usage, 3 .*4 /);
  });
});
