/**
 * `npm run asterisk:config -- --out DIR`: renders the bundled Asterisk configuration into DIR from
 * the environment, completed by a `.env` file in the current directory (under npm: the package
 * root, the same .env the app reads; real variables win).
 * Prints the names of the files written, never their content: ari.conf holds the ARI password.
 * Exit codes: 0 written (or --help), 2 bad arguments or bad variables (each one named on stderr).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { renderAsteriskConfig, TEMPLATE_DIR, type Env } from './asterisk-config';

const USAGE = 'usage: npm run asterisk:config -- --out DIR';
const HELP = `${USAGE}

Writes the bundled Asterisk configuration (asterisk/*.conf templates) to DIR, filled in from the
environment and a .env file in the current directory. It prints the names of the files written,
never their content. See asterisk/README.md for the variables and how to load the files.

Exit codes: 0 written (or this help); 2 bad arguments or bad variables, each one named on stderr.
`;
const SECRET_FILES = new Set(['ari.conf']);

function outDirFrom(argv: readonly string[]): string | undefined {
  if (argv.length === 1 && argv[0]?.startsWith('--out=')) return argv[0].slice('--out='.length) || undefined;
  if (argv.length === 2 && argv[0] === '--out') return argv[1] || undefined;
  return undefined;
}

function environment(cwd: string): Env {
  const dotenvPath = join(cwd, '.env');
  const fromFile = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  return { ...fromFile, ...process.env };
}

function main(argv: readonly string[], cwd = process.cwd()): number {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  const out = outDirFrom(argv);
  if (out === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  // npm runs scripts from the package root; a relative --out means where the admin typed it.
  const outDir = resolve(process.env.INIT_CWD ?? cwd, out);
  if (outDir === resolve(TEMPLATE_DIR)) {
    process.stderr.write(`--out must not be ${TEMPLATE_DIR}: that is where the templates live\n`);
    return 2;
  }

  const result = renderAsteriskConfig(environment(cwd));
  if ('errors' in result) {
    process.stderr.write(`Asterisk configuration not written; fix these variables:\n${result.errors.map((e) => `  - ${e}\n`).join('')}`);
    return 2;
  }

  mkdirSync(outDir, { recursive: true });
  for (const [name, content] of Object.entries(result.files)) {
    const path = join(outDir, name);
    writeFileSync(path, content);
    chmodSync(path, SECRET_FILES.has(name) ? 0o600 : 0o644);
  }
  for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
  process.stdout.write(`Wrote Asterisk configuration to ${outDir}:\n${Object.keys(result.files).map((n) => `  ${n}\n`).join('')}`);
  return 0;
}

// Run as a script only: `npm run asterisk:config` runs the compiled file through scripts/run-built.js.
process.exitCode = main(process.argv.slice(2));
