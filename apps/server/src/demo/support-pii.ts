// Personal data in the demo's tickets (issue 12), so masking is visible in `npm start`: customers
// already have e-mail addresses; some tickets also give a phone number or the test card number.
// Chosen by position, not by the generator's random stream, so the generated tickets stay as they are.
import type { SupportItem } from './support-items';

const PHONES = ['+1 415-555-2671', '+44 20 7946 0958', '(212) 555-0187', '+49 30 12345678'];
/** The well-known test card number (Luhn-valid, never a real card). */
export const DEMO_TEST_CARD = '4111 1111 1111 1111';

/** Every 4th ticket gives a phone number; every 6th the test card (its body is English or not). */
export function withDemoPii(items: SupportItem[]): SupportItem[] {
  return items.map((item, n) => {
    const extra = [
      n % 4 === 1 ? ` You can call me on ${PHONES[Math.floor(n / 4) % PHONES.length]}.` : '',
      n % 6 === 3 ? ` The payment was made with my card ${DEMO_TEST_CARD}.` : '',
    ].join('');
    return extra ? { ...item, input: { ...item.input, body: `${item.input.body}${extra}` } } : item;
  });
}
