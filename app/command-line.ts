import { OPERATOR } from '../telegram/texts';

/**
 * The service's own options. Returns the exit code when the command line asks for something other
 * than running the service (--help, --version, or an option it does not know), undefined to run.
 */
export function answerCommandLine(
  argv: readonly string[], version: string,
  out: (text: string) => void = (t) => process.stdout.write(t),
  err: (text: string) => void = (t) => process.stderr.write(t),
): number | undefined {
  const [first] = argv;
  if (first === undefined) return undefined;
  if (first === '--help' || first === '-h') {
    out(OPERATOR.usage(version));
    return 0;
  }
  if (first === '--version' || first === '-v') {
    out(`${version}\n`);
    return 0;
  }
  err(`${OPERATOR.unknownOption(first)}\n`);
  return 2;
}
