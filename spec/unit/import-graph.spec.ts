import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/built-app';

/** The product's folders (not specs, benches or scripts), each file with the project files and modules it imports. */
function productImports(): Map<string, string[]> {
  const skip = new Set(['node_modules', 'dist', 'spec', 'bench', 'scripts', 'deploy', 'docs']);
  const files = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || skip.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.set(full, importsOf(full));
    }
  };
  walk(ROOT);
  return files;
}

/** Each import as a resolved project file (a folder means its index.ts) or, for a package or node: module, its name. */
function importsOf(file: string): string[] {
  const source = fs.readFileSync(file, 'utf8');
  return [...source.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)].map((m) => {
    const spec = (m[1] ?? m[2])!;
    if (!spec.startsWith('.')) return spec;
    const target = path.resolve(path.dirname(file), spec);
    return fs.existsSync(target) && fs.statSync(target).isDirectory() ? path.join(target, 'index.ts') : `${target}.ts`;
  });
}

/** A file's top folder, or "(root)" for a file at the top. */
function folderOf(file: string): string {
  const parts = path.relative(ROOT, file).split(path.sep);
  return parts.length === 1 ? '(root)' : parts[0]!;
}

describe('the import graph', () => {
  const graph = productImports();

  it('given call/, the pure core, then it imports nothing but its own files: no node: modules, packages or other folders', () => {
    const outside = [...graph].filter(([file]) => folderOf(file) === 'call')
      .flatMap(([file, imports]) => imports.filter((i) => !path.isAbsolute(i) || folderOf(i) !== 'call').map((i) => `${path.relative(ROOT, file)} -> ${i}`));
    expect(outside).toEqual([]);
  });

  it('given verification/verification-machine.ts, the pure core of caller-ID checks, then it imports nothing but call/ and its own folder', () => {
    const machine = [...graph].find(([file]) => path.relative(ROOT, file) === path.join('verification', 'verification-machine.ts'));
    expect(machine).toBeDefined();
    expect(machine![1].filter((i) => !path.isAbsolute(i) || !['call', 'verification'].includes(folderOf(i)))).toEqual([]);
  });

  it('given cluster/, the layer on top of a single instance, then no folder but app/ (the wiring) imports it', () => {
    const reaching = [...graph].filter(([file]) => !['cluster', 'app'].includes(folderOf(file)))
      .flatMap(([file, imports]) => imports.filter((i) => path.isAbsolute(i) && folderOf(i) === 'cluster').map((i) => `${path.relative(ROOT, file)} -> ${path.relative(ROOT, i)}`));
    expect(reaching).toEqual([]);
  });

  it('given the folders, then none reaches back to itself through the others (no folder loops)', () => {
    const edges = new Map<string, Set<string>>();
    for (const [file, imports] of graph) {
      for (const target of imports.filter((i) => path.isAbsolute(i))) {
        if (folderOf(file) !== folderOf(target)) edges.set(folderOf(file), (edges.get(folderOf(file)) ?? new Set()).add(folderOf(target)));
      }
    }
    const reaches = (from: string): Set<string> => {
      const seen = new Set<string>();
      const next = [...(edges.get(from) ?? [])];
      while (next.length) {
        const folder = next.pop()!;
        if (!seen.has(folder)) next.push(...(seen.add(folder), edges.get(folder) ?? []));
      }
      return seen;
    };
    const loops = [...edges.keys()].filter((folder) => reaches(folder).has(folder));
    expect(loops).toEqual([]);
  });

  it('given the project root, then it holds no source file of its own (a root file beside the folders made (root) ↔ store)', () => {
    expect([...graph.keys()].filter((file) => folderOf(file) === '(root)').map((file) => path.relative(ROOT, file))).toEqual([]);
  });
});
