import type { OutputStream } from './io.js';

/** Erase the current terminal line and return to its start (ANSI CSI 2K). */
const REWRITE_LINE = '\r\x1b[2K';

/**
 * Shows how a wait is going. On a terminal: one line, rewritten with the phase and the seconds elapsed.
 * Elsewhere (CI logs, pipes): one line per phase change, so the log reads as a history.
 */
export class PhaseProgress {
  private readonly startedAt = Date.now();
  private phase: string | undefined;
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: OutputStream,
    private readonly subject: string,
  ) {
    if (this.live) {
      this.ticker = setInterval(() => this.draw(), 1000);
      this.ticker.unref();
    }
  }

  update(phase: string): void {
    if (phase === this.phase) return;
    this.phase = phase;
    if (this.live) this.draw();
    else this.stream.write(this.text() + '\n');
  }

  /** Stops the ticker and leaves the last state on screen. */
  finish(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.live && this.phase !== undefined) this.stream.write(REWRITE_LINE + this.text() + '\n');
  }

  private get live(): boolean {
    return this.stream.isTTY === true;
  }

  private draw(): void {
    if (this.phase !== undefined) this.stream.write(REWRITE_LINE + this.text());
  }

  private text(): string {
    const seconds = Math.floor((Date.now() - this.startedAt) / 1000);
    return `${this.subject}: ${this.phase} (${seconds}s)`;
  }
}
