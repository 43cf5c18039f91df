/** A limit on calls counted over a rolling window ending now; null: that cap is off. */
export interface RollingCap<P extends string> {
  period: P;
  limit: number | null;
  windowMs: number;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/**
 * The first cap the calls already placed reach, with how many there were; each count is asked
 * for only when the caps before it passed.
 */
export async function firstCapReached<P extends string>(
  caps: readonly RollingCap<P>[], at: number, placedSince: (since: Date) => Promise<number>,
): Promise<{ period: P; limit: number; placed: number } | undefined> {
  for (const { period, limit, windowMs } of caps) {
    if (limit === null) continue;
    const placed = await placedSince(new Date(at - windowMs));
    if (placed >= limit) return { period, limit, placed };
  }
  return undefined;
}
