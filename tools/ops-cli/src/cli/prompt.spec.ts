import { PassThrough, Readable } from 'node:stream';
import { CliError } from './cli-error';
import { Prompter } from './prompt';

/** A stand-in terminal: a stream that says it is a TTY and records raw-mode switches. */
function fakeTerminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, rawModes: [] as boolean[] });
  const terminal = Object.assign(input, {
    setRawMode(mode: boolean) {
      input.rawModes.push(mode);
      return input;
    },
  });
  let written = '';
  return { terminal, stderr: { write: (text: string) => (written += text) }, written: () => written };
}

describe(Prompter.name, () => {
  describe('askHidden', () => {
    it('reads a secret in raw mode without echoing it, honouring backspace', async () => {
      const { terminal, stderr, written } = fakeTerminal();
      const sut = new Prompter(terminal, stderr);
      const answer = sut.askHidden('Password: ', 'password');
      terminal.write('hunter3\u007f2');
      terminal.write('\r');
      expect(await answer).toBe('hunter2');
      expect(written()).toBe('Password: \n');
      expect(terminal.rawModes).toEqual([true, false]);
    });

    it('aborts on Ctrl-C with exit code 130 and leaves raw mode', async () => {
      const { terminal, stderr } = fakeTerminal();
      const answer = new Prompter(terminal, stderr).askHidden('Password: ', 'password');
      terminal.write('abc\u0003');
      await expect(answer).rejects.toEqual(expect.objectContaining({ exitCode: 130 }));
      expect(terminal.rawModes).toEqual([true, false]);
    });

    it('reads one line per answer from a pipe', async () => {
      const sut = new Prompter(Readable.from(['s3cret\n123456\n']), { write: () => true });
      expect(await sut.askHidden('Password: ', 'password')).toBe('s3cret');
      expect(await sut.ask('Code: ', 'TOTP code')).toBe('123456');
      await expect(sut.ask('More: ', 'nothing')).rejects.toBeInstanceOf(CliError);
    });
  });

  describe('ask', () => {
    it('reads a visible line from the terminal without raw mode', async () => {
      const { terminal, stderr, written } = fakeTerminal();
      const answer = new Prompter(terminal, stderr).ask('E-mail: ', 'e-mail');
      terminal.write('ops@example.test\n');
      expect(await answer).toBe('ops@example.test');
      expect(written()).toBe('E-mail: ');
      expect(terminal.rawModes).toEqual([]);
    });
  });
});
