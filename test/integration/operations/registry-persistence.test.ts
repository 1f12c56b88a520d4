import { IncompatibleSchemaError, SchemaRegistryClient } from '@paysync/registry';
import { uniqueName } from '../../support/fixtures';
import { startPrivateRegistry, type PrivateRegistry } from '../../support/private-registry';

// Two JVM start-ups of a registry on a shared two-core machine.
jest.setTimeout(420_000);

const account = {
  type: 'record',
  name: 'Account',
  namespace: 'paysync.test',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'balance', type: { type: 'bytes', logicalType: 'decimal', precision: 20, scale: 4 } },
  ],
};
/** A second version of the same subject, BACKWARD compatible (the new field has a default). */
const accountWithOwner = { ...account, fields: [...account.fields, { name: 'owner', type: ['null', 'string'], default: null }] };
const transfer = {
  type: 'record',
  name: 'Transfer',
  namespace: 'paysync.test',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 20, scale: 4 } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
const transferKey = { type: 'record', name: 'TransferKey', namespace: 'paysync.test', fields: [{ name: 'id', type: 'long' }] };

/**
 * The ids a registry hands out are in every Kafka record (the Confluent wire format): a registry
 * that forgets them after a restart makes every topic undecodable. Apicurio with PostgreSQL storage,
 * as the stack runs it (scripts/stack/registry.args), must keep them through a SIGKILL.
 */
describe('a registry keeping its schemas in PostgreSQL', () => {
  let registry: PrivateRegistry;
  beforeAll(async () => {
    registry = await startPrivateRegistry();
  });
  afterAll(() => registry?.stop());

  it('resolves every schema id to the same schema after a SIGKILL and restart, answers the same ids again and still refuses incompatible versions', async () => {
    const prefix = uniqueName('paysync_registry_test');
    const registered: { subject: string; schema: object }[] = [
      { subject: `${prefix}.accounts-value`, schema: account },
      { subject: `${prefix}.accounts-value`, schema: accountWithOwner },
      { subject: `${prefix}.transfers-value`, schema: transfer },
      { subject: `${prefix}.transfers-key`, schema: transferKey },
    ];
    const before = new SchemaRegistryClient(registry.url);
    const ids: number[] = [];
    for (const { subject, schema } of registered) ids.push(await before.register(subject, schema));
    expect(new Set(ids).size).toBe(registered.length);

    await registry.kill();
    await registry.start();

    // A fresh client: nothing remembered on this side, every answer comes from the restarted registry.
    const after = new SchemaRegistryClient(registry.url);
    try {
      for (const [i, { schema }] of registered.entries()) expect(await after.fetchSchema(ids[i])).toEqual(schema);
      for (const [i, { subject, schema }] of registered.entries()) expect(await after.register(subject, schema)).toBe(ids[i]);

      // Its id sequence went on too: a new schema takes an id no record can already carry.
      const next = await after.register(`${prefix}.ledger-value`, { ...transferKey, name: 'LedgerKey' });
      expect(ids).not.toContain(next);

      // A field without a default breaks BACKWARD: refused, as before the restart.
      const incompatible = { ...account, fields: [...account.fields, { name: 'currency', type: 'string' }] };
      await expect(after.register(`${prefix}.accounts-value`, incompatible)).rejects.toBeInstanceOf(IncompatibleSchemaError);
      const rule = await fetch(`${registry.origin}/apis/registry/v3/admin/rules/COMPATIBILITY`);
      expect(await rule.json()).toEqual({ ruleType: 'COMPATIBILITY', config: 'BACKWARD' });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- the private registry's log ---\n${registry.logTail()}`);
    }
  });
});
