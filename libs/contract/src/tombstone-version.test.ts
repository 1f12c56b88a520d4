import { tombstoneHeaders, tombstoneVersion } from './tombstone-version';

describe('tombstone version headers', () => {
  it('carry the delete version and value schema through Kafka headers (bytes) and back', () => {
    const version = { lsn: 123456789012n, seq: 7n, tsMs: 1764633600000n, valueSchemaId: 42 };
    const asKafkaGivesThem = Object.fromEntries(Object.entries(tombstoneHeaders(version)).map(([k, v]) => [k, Buffer.from(v)]));
    expect(tombstoneVersion(asKafkaGivesThem)).toEqual(version);
  });

  it('give nothing for a tombstone without them, or with a header that is not a number', () => {
    expect(tombstoneVersion(undefined)).toBeUndefined();
    expect(tombstoneVersion({})).toBeUndefined();
    expect(tombstoneVersion({ ...tombstoneHeaders({ lsn: 1n, seq: 0n, tsMs: 1n, valueSchemaId: 1 }), 'paysync.seq': 'x' })).toBeUndefined();
  });
});
