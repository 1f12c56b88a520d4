/**
 * The bookkeeping of DBLog-style watermark windows: between a chunk's low and high watermark,
 * every key a streamed change touches is noted, and at the high watermark those keys are dropped
 * from the chunk (the streamed change is newer than the copy read in the window).
 */
export interface ChunkRow {
  keyText: string;
  raw: Record<string, string | null>;
}

export interface Window {
  id: string;
  table: string;
  /** Rows read between the watermarks; set before the high watermark is written. */
  rows?: ChunkRow[];
  /** Keys asked for by a re-read that the read did not find (their `raw` holds the key columns): deletes. */
  absent?: ChunkRow[];
  open: boolean;
  touched: Set<string>;
  truncated: boolean;
  /** Called with the high watermark's LSN and the rows (and absent keys) that survive, for the stream to emit. */
  onHighWatermark: (lsn: string, rows: ChunkRow[], absent: ChunkRow[]) => Promise<void>;
}

export class WatermarkWindows {
  private readonly windows = new Map<string, Window>();

  register(window: Omit<Window, 'open' | 'touched' | 'truncated'>): Window {
    const full: Window = { ...window, open: false, touched: new Set(), truncated: false };
    this.windows.set(window.id, full);
    return full;
  }

  forget(id: string): void {
    this.windows.delete(id);
  }

  lowWatermark(id: string): void {
    const window = this.windows.get(id);
    if (window) window.open = true;
  }

  /** Whether a window of `table` is open: only then does a streamed change's key need working out. */
  watching(table: string): boolean {
    for (const window of this.windows.values()) if (window.open && window.table === table) return true;
    return false;
  }

  /** A streamed change to `table` with this key (call for old and new keys of a key change). */
  touched(table: string, keyText: string): void {
    for (const window of this.windows.values()) if (window.open && window.table === table) window.touched.add(keyText);
  }

  truncated(table: string): void {
    for (const window of this.windows.values()) if (window.open && window.table === table) window.truncated = true;
  }

  /** Closes the window: its rows minus the touched keys go to `onHighWatermark`. Unknown ids (another capture's) are ignored. */
  async highWatermark(id: string, lsn: string): Promise<void> {
    const window = this.windows.get(id);
    if (!window) return;
    this.windows.delete(id);
    if (!window.rows) throw new Error(`snapshot window ${id} closed before its rows were read`);
    const survive = (rows: ChunkRow[]) => (window.truncated ? [] : rows.filter((row) => !window.touched.has(row.keyText)));
    await window.onHighWatermark(lsn, survive(window.rows), survive(window.absent ?? []));
  }
}
