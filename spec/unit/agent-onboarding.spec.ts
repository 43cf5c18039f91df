import { MAX_ONBOARDING_LINES, readAgentDocument } from '../../agents/agent-onboarding';

const doc = (text: string) => readAgentDocument(Buffer.from(text));

describe('reading a CSV document of agents', () => {
  it('given a header and lines, then each valid line is read with its line number, and each invalid one says why', () => {
    const read = doc([
      'telegram_id,phone,name,route',
      '2001,+12025550101,Ann,M',
      '',
      '2002,(202) 555-0102,"Bob, Jr.",dev',
      'abc,+12025550103,Eve,M',
      '2004,,Dan,M',
      '2005,+12025550105,Fay,X',
      '2001,+12025550106,Ann again,M',
      '2007,+12025550107',
      '2008,+12025550108,,',
    ].join('\r\n'));

    expect(read).toEqual({
      ok: true,
      lines: [
        { line: 2, telegramId: '2001', phone: '+12025550101', name: 'Ann', route: 'M' },
        { line: 4, telegramId: '2002', phone: '(202) 555-0102', name: 'Bob, Jr.', route: 'D' },
        { line: 10, telegramId: '2008', phone: '+12025550108', name: '' },
      ],
      invalid: [
        { line: 5, problem: { kind: 'telegram_id' } },
        { line: 6, problem: { kind: 'phone_missing' } },
        { line: 7, problem: { kind: 'route', value: 'X' } },
        { line: 8, problem: { kind: 'repeated', firstLine: 2 } },
        { line: 9, problem: { kind: 'field_count', found: 2, expected: 4 } },
      ],
    });
  });

  it('given the columns in another order, in capitals and with a byte order mark, then they are read by name', () => {
    expect(doc('\uFEFFPhone,Telegram_ID\n+12025550101,2001\n')).toEqual({ ok: true, lines: [{ line: 2, telegramId: '2001', phone: '+12025550101', name: '' }], invalid: [] });
  });

  it.each([
    ['an empty file', '', { kind: 'empty' }],
    ['only blank lines', '\n \r\n', { kind: 'empty' }],
    ['no header', '2001,+12025550101,Ann,M\n', { kind: 'no_header', expected: ['telegram_id', 'phone', 'name', 'route'] }],
    ['an unknown column', 'telegram_id,phone,email\n', { kind: 'no_header', expected: ['telegram_id', 'phone', 'name', 'route'] }],
    ['an unclosed quote', 'telegram_id,phone\n2001,"+1202\n', { kind: 'malformed', line: expect.any(Number), reason: expect.any(String) }],
  ])('given %s, then the whole document is refused and says why', (_what, text, problem) => {
    expect(doc(text)).toEqual({ ok: false, problem });
  });

  it('given binary content (a PNG, bytes that are not UTF-8), then it is refused as not a text CSV', () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    expect(readAgentDocument(png)).toEqual({ ok: false, problem: { kind: 'not_text' } });
    expect(readAgentDocument(Buffer.from([0xff, 0xfe, 0x00, 0x41]))).toEqual({ ok: false, problem: { kind: 'not_text' } });
  });

  it('given 100,000 lines, then the document is refused for its length before any line is applied', () => {
    const lines = ['telegram_id,phone', ...Array.from({ length: 100_000 }, (_, i) => `${1_000_000 + i},+1202555${String(i % 10_000).padStart(4, '0')}`)];
    expect(doc(lines.join('\n'))).toEqual({ ok: false, problem: { kind: 'too_many_lines', max: MAX_ONBOARDING_LINES } });
  });

  it('given exactly the most lines allowed, then it is read', () => {
    const lines = ['telegram_id,phone', ...Array.from({ length: MAX_ONBOARDING_LINES - 1 }, (_, i) => `${1_000_000 + i},+12025550101`)];
    const read = doc(lines.join('\n'));
    expect(read.ok && read.lines.length).toBe(MAX_ONBOARDING_LINES - 1);
  });
});
