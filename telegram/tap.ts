import type { AbuseAlerts } from './abuse-alerts';
import type { Incoming } from './handler-context';

/** One button tap, with who tapped it and the one answer Telegram expects for it. */
export interface Tap extends Incoming {
  alerts: AbuseAlerts;
  /**
   * Answers the tap (ends the button's spinner); a text is shown as an alert. Only the first answer
   * counts: the table answers a tap its handler did not.
   */
  answer(alert?: string): Promise<void>;
}
