// keyhaven-ops: the ops CLI (sign in, releases, advisories). See docs/ops-cli.md.
import { processIo } from './cli/io';
import { runCli } from './cli/run';
import { COMMANDS } from './commands';

void runCli(process.argv.slice(2), processIo(), COMMANDS).then((code) => {
  process.exitCode = code;
});
