/**
 * Secret scrubbing for anything that may reach a log line. Two layers: the exact secret values
 * the process knows (`Config.secrets`: bot token, ARI password, database password, webhook secret),
 * and patterns that catch secrets we were never told about (a token inside a Bot API URL,
 * `api_key=` query strings, URL userinfo).
 */
const REDACTED = '[redacted]';

const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\bbot\d{3,}:[A-Za-z0-9_-]{10,}/g, `bot${REDACTED}`],
  // A webhook endpoint's signing secret (webhooks/webhook-signature.ts), whatever carried it into a line.
  [/\bwhsec_[A-Za-z0-9_-]{16,}/g, `whsec_${REDACTED}`],
  [/\b\d{5,}:[A-Za-z0-9_-]{30,}\b/g, REDACTED],
  [/([?&](?:api_key|apikey|token|password|secret)=)[^&\s"']+/gi, `$1${REDACTED}`],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*:)[^\s@/"']+@/gi, `$1${REDACTED}@`],
  [/("?(?:password|passwd|secret|token|authorization)"?\s*[:=]\s*"?)(?!\[redacted\])[^\s",}]+/gi, `$1${REDACTED}`],
];

export class SecretRedactor {
  private readonly secrets: string[];

  constructor(secrets: ReadonlyArray<string | undefined>) {
    // Longest first, so a secret that contains another is removed whole.
    this.secrets = [...new Set(secrets.filter((s): s is string => !!s && s.length >= 4))].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(REDACTED);
    }
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  }
}

/** The password inside a postgres:// URL, so it can be scrubbed even where the URL is not. */
export function databasePassword(databaseUrl: string): string | undefined {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) return undefined;
  try {
    const password = new URL(databaseUrl).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}
