import type { RereadRequest } from '@paysync/contract';
import type { Logger } from '@paysync/observability';
import type { TableCodec } from '../stream/table-codecs';

/**
 * The reconciler's repair: the keys are re-read in watermark windows (DESIGN.md 3.3), one request
 * after another, beside the stream (which must go on: the windows close in it).
 */
export class KeyRereads {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly tables: string[],
    private readonly codecFor: (table: string) => Promise<TableCodec>,
    private readonly reread: (codec: TableCodec, keys: string[][]) => Promise<void>,
    private readonly logger: Logger,
    /** A re-read that failed ends the streaming term (its keys are asked for again by the next reconcile). */
    private readonly onError: (err: Error) => void,
  ) {}

  serve(request: RereadRequest | Error): void {
    if (request instanceof Error) {
      this.logger.warn({ err: request }, 'ignored a re-read request');
      return;
    }
    if (!this.tables.includes(request.table)) {
      this.logger.warn({ table: request.table }, 'ignored a re-read request for a table not in PAYSYNC_TABLES');
      return;
    }
    this.queue = this.queue
      .then(async () => {
        await this.reread(await this.codecFor(request.table), request.keys);
        this.logger.info({ table: request.table, keys: request.keys.length }, 're-read keys for the reconciler');
      })
      .catch((err: Error) => this.onError(err));
  }
}
