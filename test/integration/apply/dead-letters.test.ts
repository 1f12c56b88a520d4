import { frame } from '@paysync/contract';
import { PipelineFixture } from '../../support/pipeline-fixture';
import { sendRawRecords } from '../../support/raw-records';
import { readRawTopic } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(300_000);

describe('dead letters', () => {
  let fixture: PipelineFixture;

  beforeAll(async () => {
    fixture = await PipelineFixture.create('postgres');
  });
  afterAll(() => fixture.cleanup());

  it('sends garbage bytes and an unknown schema id to the dead-letter topic and keeps applying', async () => {
    const capture = await fixture.startCapture();
    const apply = fixture.startApply();
    await fixture.waitEqual(capture);
    const topic = fixture.capture.topic('public.accounts');
    await sendRawRecords(fixture.capture.kafka, topic, [
      { key: Buffer.from('garbage key'), value: Buffer.from('these bytes are not Avro'), partition: 0 },
      { key: frame(987654321, Buffer.from([2])), value: frame(987654321, Buffer.from([0, 0])), partition: 0 },
    ]);
    await fixture.capture.db.pool.query(`UPDATE accounts SET balance = balance + 1 WHERE id = 1`);
    await fixture.capture.db.pool.query(`UPDATE accounts SET balance = balance - 1 WHERE id = 2`);
    await fixture.waitEqual(capture);

    const deadLetterTopic = `${fixture.capture.prefix}.dlq.${fixture.groupId}`.replace(/[^A-Za-z0-9._-]/g, '_');
    let letters: Awaited<ReturnType<typeof readRawTopic>> = [];
    await waitUntil('two dead letters', async () => (letters = await readRawTopic(fixture.capture.kafka, deadLetterTopic)).length >= 2, 30_000);
    expect(letters).toHaveLength(2);
    expect(letters[0].value?.toString()).toBe('these bytes are not Avro');
    expect(letters[0].headers['paysync.error.reason']).toMatch(/undecodable/);
    expect(letters[0].headers['paysync.source.topic']).toBe(topic);
    expect(letters[1].headers['paysync.error.reason']).toMatch(/987654321/);
    const metrics = apply.logs().filter((l) => l.msg === 'records sent to the dead-letter topic');
    expect(metrics.length).toBeGreaterThan(0);
  });
});
