/**
 * The billing engine bound to one emulator: its state (`b`) and the request/job context the engine
 * works for. Everything that enters the engine (routes, jobs, event hooks) goes through `within` or
 * `run`, so the engine always knows which context to emit events in.
 */
import type { Ctx, EmulatorApp } from '../core';
import { createBilling, type Billing } from './engine/context';
import { nextDueAt, runDue as runDueTasks } from './engine/scheduler';
import { createHost } from './host';

export interface BillingRuntime {
  b: Billing;
  /** Run fn for a request: catch up with due work on the global clock first, reschedule after. */
  run<R>(ctx: Ctx, fn: () => R): R;
  /** Run fn with ctx as the engine's current context (nothing else). */
  within<R>(ctx: Ctx, fn: () => R): R;
  /** Run everything due for a clock scope (null = global) up to `until`. */
  runDue(ctx: Ctx, scope: string | null, until: number): number;
}

const TICK_JOB = 'billing.tick';

export function createRuntime(app: EmulatorApp): BillingRuntime {
  let current: Ctx | null = null;
  const b = createBilling(
    app.store,
    createHost(app, () => {
      if (!current) throw new Error('billing: no current context');
      return current;
    }),
  );

  const within = <R>(ctx: Ctx, fn: () => R): R => {
    const prev = current;
    current = ctx;
    try {
      return fn();
    } finally {
      current = prev;
    }
  };

  /** Keep one global job at the time of the next due billing task. */
  const reschedule = (ctx: Ctx): void => {
    const next = nextDueAt(b, null);
    if (next === null) ctx.cancelJobs(TICK_JOB);
    else ctx.schedule(TICK_JOB, next, null, { key: TICK_JOB });
  };

  const run = <R>(ctx: Ctx, fn: () => R): R => {
    const outermost = current === null;
    return within(ctx, () => {
      // lazily catch up with real time on the global clock
      if (outermost) runDueTasks(b, null, app.clock.now());
      const r = fn();
      if (outermost) reschedule(ctx);
      return r;
    });
  };

  const runDue = (ctx: Ctx, scope: string | null, until: number): number =>
    within(ctx, () => (scope === null ? app.clock.pinnedAt(until, () => runDueTasks(b, null, until)) : runDueTasks(b, scope, until)));

  app.defineJob(TICK_JOB, (ctx) =>
    within(ctx, () => {
      runDueTasks(b, null, ctx.now());
      reschedule(ctx);
    }),
  );

  return { b, run, within, runDue };
}
