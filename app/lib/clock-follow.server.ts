import { clock } from './clock.server';

/**
 * Keeps the app's clock in step with another clock that answers `GET <url>` with `{ now }` (unix
 * seconds). `npm start` points it at the Stripe emulator's clock when it runs one
 * (`CLOCK_SOURCE_URL`), so moving the emulator's time (`/_emulator/clock/advance`) moves the portal's
 * idea of "now" with it: trial countdowns, grace periods and dates stay coherent in demos and tests.
 * With real Stripe it is unset and the clock is the system's.
 */
let following = false;
/** The latest moment events said the source had reached since the last poll began, and when (machine time). */
let reached = { ms: 0, at: 0 };
let lastAskedAt = 0;

/**
 * A moment the followed clock has certainly reached: the `created` of a signed event from it. The
 * 1 s poll below can lag a clock jump by a second (more on a busy machine) while the jump's webhooks
 * are already mirrored: a page would then show a renewal from "1 Jan" with "38 days of access left"
 * counted from the day before the jump. Moves the clock forward only, and only while following.
 */
export function followedClockReached(ms: number): void {
  if (!following || !Number.isFinite(ms)) return;
  reached = { ms: Math.max(ms, reached.at >= lastAskedAt ? reached.ms : 0), at: Date.now() };
  if (ms > clock.nowMs()) clock.setOffset(ms - Date.now());
}

export function followClock(url: string, everyMs = 1000): () => void {
  following = true;
  let stopped = false;
  let warned = false;
  const tick = async () => {
    const askedAt = Date.now();
    lastAskedAt = askedAt;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const { now, now_ms: nowMs } = (await res.json()) as { now: number; now_ms?: number };
      if (stopped) return;
      // Milliseconds when the source gives them: whole seconds would leave the app up to a second
      // behind, so "14 days left" of a trial created a moment ago read "15 days left".
      const answered = typeof nowMs === 'number' && Number.isFinite(nowMs) ? nowMs : now * 1000;
      // An event that arrived while this poll was in flight is newer news than its answer.
      const sourceMs = reached.at >= askedAt ? Math.max(answered, reached.ms) : answered;
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
    following = false;
    clearInterval(timer);
  };
}
