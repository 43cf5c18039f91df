import fs from 'node:fs';
import path from 'node:path';

/**
 * Every relative link of the user-facing pages leads somewhere: the file exists and, for a
 * `#fragment`, the page has a heading with that anchor (GitHub's: lower case, punctuation dropped,
 * spaces as hyphens, a repeated heading numbered).
 */
const ROOT = path.join(__dirname, '..', '..');
const PAGES = [
  'README.md', 'BENCHMARKS.md', 'asterisk/README.md', 'deploy/README.md', 'spec/e2e/README.md',
  ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
];

function withoutCode(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, (code) => code.replace(/[[\]()]/g, ''));
}

function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} +(.+)$/gm)) {
    const slug = heading!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

function brokenLinksOf(page: string): string[] {
  const broken: string[] = [];
  const text = withoutCode(fs.readFileSync(path.join(ROOT, page), 'utf8'));
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target!)) continue;
    const [file, fragment] = target!.split('#') as [string, string | undefined];
    const resolved = file === '' ? path.join(ROOT, page) : path.resolve(path.dirname(path.join(ROOT, page)), file);
    if (!fs.existsSync(resolved)) broken.push(`${page}: ${target} (no such file)`);
    else if (fragment && resolved.endsWith('.md') && !anchorsOf(resolved).has(fragment)) broken.push(`${page}: ${target} (no such heading)`);
  }
  return broken;
}

describe('the documentation links', () => {
  it.each(PAGES)('given %s, then every relative link leads to an existing file and heading', (page) => {
    expect(brokenLinksOf(page)).toEqual([]);
  });
});
