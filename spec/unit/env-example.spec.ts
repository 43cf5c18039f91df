import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../config/config';

const example = readFileSync(join(__dirname, '../..', '.env.example'), 'utf8');
const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six'];

/** Each variable of .env.example with the comment lines just above it. */
function variables(): Array<{ name: string; comment: string }> {
  const found: Array<{ name: string; comment: string }> = [];
  let comment: string[] = [];
  for (const line of example.split('\n')) {
    const assignment = /^([A-Z0-9_]+)=/.exec(line);
    if (assignment) {
      found.push({ name: assignment[1]!, comment: comment.join('\n') });
      comment = [];
    } else {
      comment = line.startsWith('#') ? [...comment, line] : [];
    }
  }
  return found;
}

function requiredByTheService(): string[] {
  try {
    loadConfig({});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => p.split(':')[0]!);
    throw err;
  }
  return [];
}

describe('.env.example', () => {
  it('given the variables the service refuses to start without, then exactly those are marked REQUIRED, and the first line counts them', () => {
    const required = requiredByTheService();
    const marked = variables().filter((v) => /^# REQUIRED\b/m.test(v.comment)).map((v) => v.name);
    expect(marked.sort()).toEqual([...required].sort());
    expect(example.split('\n')[0]).toContain(`fill in the ${NUMBER_WORDS[required.length]} variables marked REQUIRED`);
  });

  it('given SUPER_ADMIN_IDS, then it says how to find your own Telegram user id', () => {
    const superAdmins = variables().find((v) => v.name === 'SUPER_ADMIN_IDS');
    expect(superAdmins?.comment).toMatch(/send \/start to your bot/);
  });
});
