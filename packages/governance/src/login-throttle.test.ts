import { describe, expect, it } from 'vitest';
import { LOGIN_THROTTLE, lockoutSeconds } from './login-throttle';

describe('lockoutSeconds', () => {
  it('waits nothing below the threshold, then 30 s doubling per failure up to 15 minutes', () => {
    const account = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 30].map((f) => lockoutSeconds(f, 5, LOGIN_THROTTLE));
    expect(account).toEqual([0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]);
  });

  it('starts later for an address', () => {
    const address = [19, 20, 21].map((f) => lockoutSeconds(f, LOGIN_THROTTLE.addressThreshold, LOGIN_THROTTLE));
    expect(address).toEqual([0, 30, 60]);
  });
});
