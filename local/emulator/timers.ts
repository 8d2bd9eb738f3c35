/** Longest delay setTimeout honours (larger values would fire at once). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Owns the emulator's timers so close() can stop them all. */
export class Timers {
  private readonly live = new Set<NodeJS.Timeout>();

  /** Runs fn after ms; a delay beyond MAX_TIMER_MS means "never" (returns undefined). */
  after(ms: number, fn: () => void): NodeJS.Timeout | undefined {
    if (!Number.isFinite(ms) || ms > MAX_TIMER_MS) return undefined;
    const t = setTimeout(() => {
      this.live.delete(t);
      fn();
    }, Math.max(0, ms));
    this.live.add(t);
    return t;
  }

  every(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setInterval(fn, ms);
    this.live.add(t);
    return t;
  }

  cancel(t: NodeJS.Timeout | undefined): void {
    if (!t) return;
    clearTimeout(t);
    this.live.delete(t);
  }

  clear(): void {
    for (const t of this.live) clearTimeout(t);
    this.live.clear();
  }
}
