import { clock } from './clock.server';

/**
 * Keeps the app's clock in step with another clock that answers `GET <url>` with `{ now }` (unix
 * seconds). `npm start` points it at the Stripe emulator's clock when it runs one
 * (`CLOCK_SOURCE_URL`), so moving the emulator's time (`/_emulator/clock/advance`) moves the portal's
 * idea of "now" with it: trial countdowns, grace periods and dates stay coherent in demos and tests.
 * With real Stripe it is unset and the clock is the system's.
 */
export function followClock(url: string, everyMs = 1000): () => void {
  let stopped = false;
  let warned = false;
  const tick = async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const { now, now_ms: nowMs } = (await res.json()) as { now: number; now_ms?: number };
      // Milliseconds when the source gives them: whole seconds would leave the app up to a second
      // behind, so "14 days left" of a trial created a moment ago read "15 days left".
      const sourceMs = typeof nowMs === 'number' && Number.isFinite(nowMs) ? nowMs : now * 1000;
      if (Number.isFinite(sourceMs)) {
        // Only ever follow forward of real time: the source is a test clock that runs ahead.
        clock.setOffset(Math.max(0, sourceMs - Date.now()));
      }
      warned = false;
    } catch (error) {
      if (!warned) console.warn(`clock source ${url} unreachable: ${error instanceof Error ? error.message : String(error)}`);
      warned = true;
    }
  };
  void tick();
  const timer = setInterval(() => {
    if (!stopped) void tick();
  }, everyMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
