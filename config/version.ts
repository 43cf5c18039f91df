import fs from 'node:fs';
import path from 'node:path';

/**
 * The package's version, read from package.json at run time: the same code runs from the sources
 * (ts-node, jest) and from dist/, one directory deeper, and package.json is not copied into dist/.
 */
export function packageVersion(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'callbot' && typeof pkg.version === 'string') return pkg.version;
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}
