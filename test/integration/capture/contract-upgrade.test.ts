import { avroSchemasFor, createAvroType, keySubject, partitionOf, RegistrySerde, rowFromPgText, unframe, valueSubject, type ChangeEnvelope, type Row } from '@paysync/contract';
import { ensureTopics } from '@paysync/kafka';
import { SchemaRegistryClient } from '@paysync/registry';
import { startAppliedTargets, removeAppliedTargets, type AppliedTarget } from '../../support/applied-targets';
import { ALL_TYPES_DDL, ALL_TYPES_ROWS } from '../../support/all-types-table';
import { CaptureFixture } from '../../support/capture-fixture';
import { valueSchemaAsWrittenBy01, withoutConnectNames } from '../../support/contract-01';
import { sendRawRecords } from '../../support/raw-records';
import { reconcileOnce } from '../../support/reconcile-once';
import { stackAddresses } from '../../support/stack-addresses';
import { readRawTopic } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(300_000);

const TABLE = 'public.all_types';

/**
 * A topic paysync 0.1 wrote (its schemas, a boolean source.snapshot), then today's capture on it:
 * the registry takes the new schema version under BACKWARD, a reader with it decodes 0.1's records,
 * and apply, reading both generations, ends equal to the source.
 */
describe('contract 0.2 on a topic 0.1 wrote', () => {
  let source: CaptureFixture;
  let targets: AppliedTarget[] = [];

  beforeAll(async () => {
    source = await CaptureFixture.create([...ALL_TYPES_DDL(TABLE), `INSERT INTO ${TABLE} VALUES ${ALL_TYPES_ROWS.join(', ')}`]);
  });

  afterAll(async () => {
    await removeAppliedTargets(targets);
    await source?.cleanup();
  });

  it('registers the new version beside 0.1 under BACKWARD, reads 0.1 records, and apply takes both', async () => {
    const topic = source.topic(TABLE);
    const shape = await source.shape(TABLE);
    const schemas = avroSchemasFor(shape, source.prefix);
    const serde = new RegistrySerde(new SchemaRegistryClient(stackAddresses().PAYSYNC_TEST_REGISTRY_URL));
    const key01 = await serde.encoderFor<Row>(keySubject(topic), withoutConnectNames(schemas.key) as object);
    const value01 = await serde.encoderFor<unknown>(valueSubject(topic), valueSchemaAsWrittenBy01(schemas.value));

    // The table's rows as 0.1's snapshot sent them, on 0.1's partitions.
    const { rows } = await source.db.pool.query<Record<string, string | null>>(`SELECT * FROM ${TABLE} ORDER BY id`);
    await ensureTopics(source.kafka, [{ topic, numPartitions: 3 }]);
    await sendRawRecords(
      source.kafka,
      topic,
      rows.map((raw, seq) => ({
        key: key01.encode({ id: BigInt(raw.id!) }),
        partition: partitionOf(JSON.stringify([raw.id]), 3),
        value: value01.encode({
          before: null,
          after: rowFromPgText(shape, raw),
          op: 'r',
          source: { version: '0.1.0', connector: 'paysync', db: 'old', schema: 'public', table: 'all_types', lsn: 1n, seq: BigInt(seq), txId: null, ts_ms: 1n, snapshot: true },
          ts_ms: 1n,
          unchanged_toast: [],
        }),
      })),
    );

    // Today's capture registers its schemas on the same subjects: the registry checks them against 0.1's.
    const capture = await source.startCaptureStreaming([TABLE]);
    await source.db.pool.query(`UPDATE ${TABLE} SET memo = 'after the upgrade' WHERE id = 3`);
    await source.waitCaughtUp(capture);
    const registry = stackAddresses().PAYSYNC_TEST_REGISTRY_URL;
    const versions = async (subject: string) => ((await (await fetch(`${registry}/subjects/${subject}/versions`)).json()) as number[]).length;
    // The key (a bigint) carries no Connect name: the same schema, so no new version.
    expect({ key: await versions(keySubject(topic)), value: await versions(valueSubject(topic)) }).toEqual({ key: 1, value: 2 });

    // A consumer reading with today's schema (the subject's latest) decodes every 0.1 record.
    const raw = await readRawTopic(source.kafka, topic);
    const latest = createAvroType(schemas.value);
    const resolvers = new Map<number, ReturnType<typeof latest.createResolver>>();
    const decoded: ChangeEnvelope[] = [];
    for (const record of raw.filter((r) => r.value !== null)) {
      const { schemaId, body } = unframe(record.value!);
      let resolver = resolvers.get(schemaId);
      if (!resolver) resolvers.set(schemaId, (resolver = latest.createResolver(createAvroType((await serde.schemaFor(schemaId)).schema))));
      decoded.push(latest.fromBuffer(body, resolver) as ChangeEnvelope);
    }
    const old = decoded.filter((e) => e.source.version === '0.1.0');
    expect(old).toHaveLength(rows.length);
    for (const e of old) expect(e.source).toMatchObject({ snapshot: true, name: '', sequence: null, ts_us: null });
    const updated = decoded.find((e) => e.op === 'u');
    expect(updated?.source).toMatchObject({ version: '0.2.0', snapshot: 'false', name: source.prefix });
    expect(updated?.transaction?.total_order).toBe(1n);

    // Apply reads both generations into PostgreSQL: equal to the source, nothing dead-lettered.
    targets = await startAppliedTargets(source, [TABLE], ['postgres']);
    const [{ db, groupId, apply }] = targets;
    await waitUntil(() => `the target to hold the update; apply said:\n${apply.output().slice(-2000)}`, async () => {
      const found = await db.query(`SELECT memo FROM ${TABLE} WHERE id = 3`).catch(() => []);
      return found[0]?.memo === 'after the upgrade';
    }, 120_000, 500);
    const outcome = await reconcileOnce(source, db, groupId, [TABLE]);
    expect(outcome.report.tables[0]).toMatchObject({ rows: rows.length, missing: [], extra: [], different: [] });
    expect(apply.logs().filter((l) => /dead.letter/i.test(String(l.msg)))).toEqual([]);
  });
});
