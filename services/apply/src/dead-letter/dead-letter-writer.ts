import { sendAcked, type Producer } from '@paysync/kafka';

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
}

/**
 * Poison records go to the dead-letter topic byte for byte, with where they came from and why in
 * headers, so a person can inspect, fix and re-publish them. Sent before the batch's target commit:
 * a crash in between may write a dead letter twice, never lose one.
 */
export class DeadLetterWriter {
  constructor(
    private readonly producer: Producer,
    readonly topic: string,
  ) {}

  async write(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await sendAcked(this.producer, [
      {
        topic: this.topic,
        messages: letters.map((l) => ({
          key: l.key,
          value: l.value,
          headers: {
            'paysync.error.reason': l.reason.slice(0, 2000),
            'paysync.source.topic': l.topic,
            'paysync.source.partition': String(l.partition),
            'paysync.source.offset': l.offset.toString(),
            'paysync.error.time': new Date().toISOString(),
          },
        })),
      },
    ]);
  }
}
