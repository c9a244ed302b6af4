/**
 * The one clock of the server. Everything that asks "what time is it" for billing decisions asks
 * here, so tests (and the emulator's clock in demos) can move it.
 */
let offsetMs = 0;
let frozenAt: number | null = null;

export const clock = {
  nowMs(): number {
    return frozenAt ?? Date.now() + offsetMs;
  },
  now(): Date {
    return new Date(clock.nowMs());
  },
  /** Unix seconds, as Stripe counts. */
  nowSeconds(): number {
    return Math.floor(clock.nowMs() / 1000);
  },
  freeze(at: Date | number) {
    frozenAt = typeof at === 'number' ? at : at.getTime();
  },
  advance(ms: number) {
    if (frozenAt !== null) frozenAt += ms;
    else offsetMs += ms;
  },
  /** Follow another clock (the emulator's) by offset. */
  setOffset(ms: number) {
    offsetMs = ms;
  },
  reset() {
    offsetMs = 0;
    frozenAt = null;
  },
};

/**
 * Time for machinery (mirror write ordering, worker locks and backoffs, inbox receipt): the system's
 * own clock, never moved by tests or by following the emulator. The billing clock above may jump
 * (forward with the emulator, back after a reset); ordering must not.
 */
export const machineClock = {
  nowMs: (): number => Date.now(),
  now: (): Date => new Date(),
};
