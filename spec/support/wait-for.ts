/**
 * Polls until `check` returns a truthy value (or stops throwing); never a fixed sleep. The default
 * deadline is generous because a passing check returns at once: only a loaded CI machine reaches it.
 */
export async function waitFor<T>(check: () => T | Promise<T>, { timeoutMs = 15000, everyMs = 5, what = 'condition' } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
