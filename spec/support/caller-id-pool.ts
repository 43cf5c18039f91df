import type { RouteCode } from '../../call/call-types';
import type { Stores } from '../../store';

/**
 * Puts numbers in the caller-ID pool as verified, as if their verification calls had succeeded:
 * for specs about other things whose agents have caller IDs of their own.
 */
export async function seedVerifiedCallerIds(stores: Stores, numbers: readonly string[], routes: readonly RouteCode[] = ['M', 'D']): Promise<void> {
  for (const number of numbers) {
    for (const route of routes) {
      await stores.callerIds.add(number, route, '1000');
      await stores.callerIds.markVerified(number, route, '1000', new Date());
    }
  }
}
