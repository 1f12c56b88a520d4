import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { crc32c, encodeRecord, groupMessagesPerPartition, PATCHED_KAFKAJS_VERSION } from './kafkajs-hot-paths';

// kafkajs' own modules, as shipped (jest loads them in its own registry, unreplaced).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const originalGrouping = require('kafkajs/src/producer/groupMessagesPerPartition') as typeof groupMessagesPerPartition;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const originalCrc = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const originalRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (fields: Parameters<typeof encodeRecord>[0]) => { buffer: Buffer };

describe('kafkajs hot paths', () => {
  it('replace the kafkajs version they were checked against', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect((require('kafkajs/package.json') as { version: string }).version).toBe(PATCHED_KAFKAJS_VERSION);
  });

  it('group messages per partition exactly as kafkajs does, in send order', () => {
    const messages = Array.from({ length: 500 }, (_, i) => ({ value: String(i), partition: (i * 7919) % 5 }));
    const args = { topic: 't', partitionMetadata: [{}, {}, {}, {}, {}], messages, partitioner: ({ message }: { message: { partition: number } }) => message.partition };
    expect(groupMessagesPerPartition(args)).toEqual(originalGrouping(args));
    expect(groupMessagesPerPartition({ ...args, partitionMetadata: [] })).toEqual({});
  });

  it('compute the same CRC32C as kafkajs for every length and content', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    for (let length = 0; length <= 70; length++) {
      const buffer = randomBytes(length);
      expect(crc32c(buffer)).toBe(originalCrc(buffer));
    }
    const large = randomBytes(1024 * 1024 + 3);
    expect(crc32c(large)).toBe(originalCrc(large));
  });

  it('encode every kind of record to the bytes kafkajs writes', () => {
    const cases: Parameters<typeof encodeRecord>[0][] = [
      { key: Buffer.from([0, 0, 0, 0, 1, 2]), value: randomBytes(300) },
      { offsetDelta: 1999, timestampDelta: 0, key: null, value: null },
      { offsetDelta: 70000, timestampDelta: 123456789012, key: 'ключ', value: 'värde' },
      { offsetDelta: 3, timestampDelta: -5, key: Buffer.alloc(0), value: Buffer.alloc(200000) },
      { key: Buffer.from('k'), value: null, headers: { 'paysync.commit.lsn': '123456', 'paysync.tombstone': Buffer.from([1, 2, 3]), multi: ['a', Buffer.from('b')] } },
      {},
    ];
    for (const fields of cases) {
      const encoded = encodeRecord(fields);
      expect(encoded.buffer.equals(originalRecord(fields).buffer)).toBe(true);
      expect(encoded.size()).toBe(encoded.buffer.length);
    }
  });

  it('are what kafkajs loads once this library is imported (outside jest, as the services run)', () => {
    const script = `
      require('./libs/kafka/src/index.ts');
      const paths = require('./libs/kafka/src/kafkajs-hot-paths.ts');
      const grouping = require('kafkajs/src/producer/groupMessagesPerPartition');
      const crc = require('kafkajs/src/protocol/recordBatch/crc32C');
      const record = require('kafkajs/src/protocol/recordBatch/record/v0');
      process.stdout.write(String(grouping === paths.groupMessagesPerPartition && crc === paths.crc32c && record === paths.encodeRecord));`;
    expect(execFileSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], { encoding: 'utf8' })).toBe('true');
  });
});
