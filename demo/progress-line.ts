/**
 * One live status line on stderr: redrawn in place on a terminal; in a log or CI (no TTY) one line
 * every `everyMs`, so the output stays readable.
 */
export class ProgressLine {
  private lastPrinted = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 5000,
  ) {}

  update(text: string): void {
    if (this.stream.isTTY) {
      this.stream.write(`\r${text}\x1b[K`);
      this.drawn = true;
    } else if (Date.now() - this.lastPrinted >= this.everyMs) {
      this.stream.write(`${text}\n`);
      this.lastPrinted = Date.now();
    }
  }

  /** Ends the redrawn line so the next output starts on a line of its own. */
  done(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
