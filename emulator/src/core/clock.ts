/**
 * Emulator time = real time + a persisted offset. `POST /_emulator/clock/advance` moves the offset
 * forward and runs every due scheduler job in time order (see EmulatorApp.advanceClock).
 * Time never goes backwards.
 */
import type { Store } from './store';

export type AdvanceListener = (from: number, to: number) => void;

export class Clock {
  private offsetMs: number;
  private listeners: AdvanceListener[] = [];
  /** When set (during a job run), now() returns this instead of the wall clock. */
  private pinned: number | null = null;

  constructor(private store: Store) {
    this.offsetMs = Number(store.getMeta('clock_offset_ms') ?? 0);
  }

  /** Unix seconds of emulator time. */
  now(): number {
    if (this.pinned !== null) return this.pinned;
    return Math.floor(this.nowMs() / 1000);
  }

  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  /** Register fn(from, to) called after every global clock advance (after due jobs ran). */
  onAdvance(fn: AdvanceListener): void {
    this.listeners.push(fn);
  }

  /** @internal used by EmulatorApp. */
  setOffsetTo(unixSeconds: number): void {
    const target = unixSeconds * 1000;
    if (target > this.nowMs()) {
      this.offsetMs = target - Date.now();
      this.store.setMeta('clock_offset_ms', String(this.offsetMs));
    }
  }

  /** @internal */
  notify(from: number, to: number): void {
    for (const fn of this.listeners) fn(from, to);
  }

  /** @internal run fn with now() pinned to t. */
  pinnedAt<R>(t: number, fn: () => R): R {
    const prev = this.pinned;
    this.pinned = t;
    try {
      return fn();
    } finally {
      this.pinned = prev;
    }
  }

  /** @internal */
  reset(): void {
    this.offsetMs = 0;
    this.pinned = null;
  }
}
