import { dncLineReader } from '../../compliance/dnc-line';

describe('a line of a do-not-call file', () => {
  const us = dncLineReader('US');
  const gb = dncLineReader('GB');

  it.each([
    ['the registry format', '202,5550123', 1, 12025550123],
    ['the registry format without the comma', '2025550123', 2, 12025550123],
    ['a national form', '(202) 555-0123', 2, 12025550123],
    ['E.164 with spaces', '+1 202 555 0123', 2, 12025550123],
    ['a CSV row, number first', '+12025550123,2026-01-01T00:00:00.000Z,admin,1000,reason', 2, 12025550123],
    ['a quoted CSV field', '"+44 20 7946 0958";"x"', 2, 442079460958],
    ['a Windows line end and a BOM', '\uFEFF202,5550123\r', 1, 12025550123],
  ])('given %s (%j), then it is the number', (_what, line, lineNumber, key) => {
    expect(us.read(line, lineNumber)).toEqual({ kind: 'number', key });
  });

  it.each([
    ['a blank line', '   ', 5],
    ['a comment', '# exported 2026-01-01', 5],
    ['a header on the first line', 'number,reason', 1],
  ])('given %s, then it is skipped', (_what, line, lineNumber) => {
    expect(us.read(line, lineNumber)).toEqual({ kind: 'skip' });
  });

  it.each([
    ['words', 'call me maybe'],
    ['a header after the first line', 'number,reason'],
    ['an extension', '+1 202 555 0123 ext 7'],
    ['too few digits', '555-0123'],
    ['an area code starting with 1', '102,5550123'],
    ['a country code that does not exist', '+999 123 4567'],
  ])('given %s, then it is invalid', (_what, line) => {
    expect(us.read(line, 7)).toEqual({ kind: 'invalid' });
  });

  it('given ten bare digits outside NANP, then they are read in the default region, not as a US number', () => {
    expect(gb.read('2079460958', 2)).toEqual({ kind: 'number', key: 442079460958 });
    expect(gb.read('202,5550123', 2)).toEqual({ kind: 'number', key: 12025550123 });
    expect(gb.read('+2025550123', 2)).not.toEqual({ kind: 'number', key: 12025550123 });
  });
});
