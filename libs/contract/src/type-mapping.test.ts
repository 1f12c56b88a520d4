import { createAvroType } from './avro-type';
import type { ColumnType } from './table-shape';
import { codecFor, type ColumnValue } from './type-mapping';

const t = (typeName: string, extra: Partial<ColumnType> = {}): ColumnType => ({ typeName, pgType: typeName, typeOid: 0, category: 'base', ...extra });
const arrayOf = (element: ColumnType): ColumnType => ({ typeName: `_${element.typeName}`, pgType: `${element.pgType}[]`, typeOid: 0, category: 'array', element });

/** PostgreSQL text -> JS -> Avro bytes (inside ['null', T], as rows carry it) -> JS -> PostgreSQL text. */
function roundTrip(type: ColumnType, text: string): { value: ColumnValue; back: string } {
  const codec = codecFor(type);
  const avro = createAvroType({ type: 'record', name: 'R', fields: [{ name: 'v', type: ['null', codec.avro] }] });
  const value = codec.fromPgText(text);
  const decoded = (avro.fromBuffer(avro.toBuffer({ v: value })) as { v: ColumnValue }).v;
  expect(decoded).toEqual(value);
  return { value: decoded, back: codec.toPgText(decoded) };
}

describe('type mapping: exact decimals', () => {
  const numeric204 = t('numeric', { pgType: 'numeric(20,4)', precision: 20, scale: 4 });

  it.each([['9999999999999999.9999'], ['-9999999999999999.9999'], ['0.0001'], ['-0.0001'], ['0.0000'], ['-1234567890123456.7891']])(
    'numeric(20,4) %s',
    (text) => {
      expect(roundTrip(numeric204, text)).toEqual({ value: text, back: text });
    },
  );

  it('numeric(p,s) is an Avro decimal with that precision and scale', () => {
    expect(codecFor(numeric204).avro).toMatchObject({ type: 'bytes', logicalType: 'decimal', precision: 20, scale: 4 });
    expect(codecFor(t('numeric', { precision: 4, scale: 0 })).avro).toMatchObject({ precision: 4, scale: 0 });
    expect(roundTrip(t('numeric', { precision: 4, scale: 0 }), '-9999')).toEqual({ value: '-9999', back: '-9999' });
  });

  it('refuses NaN and Infinity with a clear error, and never rounds', () => {
    expect(() => codecFor(numeric204).fromPgText('NaN')).toThrow('"NaN" is not an exact decimal (NaN and Infinity cannot travel as Avro decimals)');
    expect(() => codecFor(t('numeric')).fromPgText('Infinity')).toThrow('"Infinity" is not an exact decimal');
    expect(() => codecFor(t('numeric')).fromPgText('-Infinity')).toThrow('NaN and Infinity cannot travel');
    expect(() => codecFor(numeric204).fromPgText('1.00001')).toThrow('refusing to round');
    const avro = createAvroType({ type: 'record', name: 'R', fields: [{ name: 'v', type: codecFor(numeric204).avro }] });
    expect(() => avro.toBuffer({ v: '123456789012345678.0000' })).toThrow('more than 20 digits');
  });

  it.each([
    ['123456789012345678901234567890.123456789'],
    ['123456789012345678901234567890.123'],
    ['-0.000000000000000000001'],
    ['0.000000000000000000001'],
    ['5'],
    ['-5'],
    ['0'],
    ['-5.50'],
    ['1' + '0'.repeat(130)],
  ])('unconstrained numeric %s keeps exactly what PostgreSQL printed', (text) => {
    expect(roundTrip(t('numeric'), text)).toEqual({ value: text, back: text });
  });

  it('numeric with a negative scale or a scale above its precision travels as a variable-scale decimal', () => {
    expect(codecFor(t('numeric', { precision: 2, scale: -3 })).avro).toMatchObject({ name: 'VariableScaleDecimal' });
    expect(codecFor(t('numeric', { precision: 2, scale: 5 })).avro).toMatchObject({ name: 'VariableScaleDecimal' });
    expect(roundTrip(t('numeric', { precision: 2, scale: -3 }), '12000').value).toBe('12000');
  });

  it.each([
    ['$1,234.56', '1234.56'],
    ['$0.01', '0.01'],
    ['-$1,234.50', '-1234.50'],
    ['$92,233,720,368,547,758.07', '92233720368547758.07'],
    ['-$92,233,720,368,547,758.08', '-92233720368547758.08'],
  ])('money %s', (text, value) => {
    expect(codecFor(t('money')).avro).toMatchObject({ type: 'bytes', logicalType: 'decimal', precision: 19, scale: 2 });
    expect(roundTrip(t('money'), text)).toEqual({ value, back: value });
  });
});

describe('type mapping: dates and times', () => {
  it.each([
    ['2024-02-29 18:29:59.123456+00', '2024-02-29T18:29:59.123456Z', '2024-02-29 18:29:59.123456+00'],
    ['2024-02-29 23:59:59.5+05:30', '2024-02-29T18:29:59.500000Z', '2024-02-29 18:29:59.500000+00'],
    ['2024-01-01 21:00:00-03', '2024-01-02T00:00:00.000000Z', '2024-01-02 00:00:00.000000+00'],
    ['2024-01-01 00:00:00+05:30:15', '2023-12-31T18:29:45.000000Z', '2023-12-31 18:29:45.000000+00'],
    ['2024-01-02 03:04:05+00', '2024-01-02T03:04:05.000000Z', '2024-01-02 03:04:05.000000+00'],
    ['1970-01-01 00:00:00+00', '1970-01-01T00:00:00.000000Z', '1970-01-01 00:00:00.000000+00'],
    ['1969-12-31 23:59:59.999999+00', '1969-12-31T23:59:59.999999Z', '1969-12-31 23:59:59.999999+00'],
    ['1900-06-15 12:00:00.000001+00', '1900-06-15T12:00:00.000001Z', '1900-06-15 12:00:00.000001+00'],
    ['9999-12-31 23:59:59.999999+00', '9999-12-31T23:59:59.999999Z', '9999-12-31 23:59:59.999999+00'],
    ['12345-06-07 08:09:10.111213+00', '12345-06-07T08:09:10.111213Z', '12345-06-07 08:09:10.111213+00'],
    ['0044-03-15 12:00:00+00 BC', '-0043-03-15T12:00:00.000000Z', '0044-03-15 12:00:00.000000+00 BC'],
    ['0001-12-31 23:59:59.999999+00 BC', '0000-12-31T23:59:59.999999Z', '0001-12-31 23:59:59.999999+00 BC'],
    ['infinity', 'infinity', 'infinity'],
    ['-infinity', '-infinity', '-infinity'],
  ])('timestamptz %s', (text, value, back) => {
    expect(roundTrip(t('timestamptz'), text)).toEqual({ value, back });
  });

  it('timestamptz is timestamp-micros with exact BigInt microseconds', () => {
    const avro = createAvroType(codecFor(t('timestamptz')).avro as object);
    const micros = (value: string): bigint => longOf(avro.toBuffer(value));
    expect(micros('1970-01-01T00:00:00.000001Z')).toBe(1n);
    expect(micros('1969-12-31T23:59:59.999999Z')).toBe(-1n);
    expect(micros('infinity')).toBe(9223372036854775807n);
    expect(micros('-infinity')).toBe(-9223372036854775808n);
  });

  it('refuses a timestamp an Avro long cannot hold (the last years PostgreSQL allows)', () => {
    expect(() => codecFor(t('timestamptz')).fromPgText('294276-12-31 23:59:59.999999+00')).toThrow('outside the range');
  });

  it.each([
    ['1999-12-31 23:59:59.000001', '1999-12-31T23:59:59.000001', '1999-12-31 23:59:59.000001'],
    ['0001-01-01 00:00:00', '0001-01-01T00:00:00.000000', '0001-01-01 00:00:00.000000'],
    ['1960-02-29 12:34:56.5', '1960-02-29T12:34:56.500000', '1960-02-29 12:34:56.500000'],
    ['infinity', 'infinity', 'infinity'],
    ['-infinity', '-infinity', '-infinity'],
  ])('timestamp %s', (text, value, back) => {
    expect(codecFor(t('timestamp')).avro).toMatchObject({ type: 'long', logicalType: 'local-timestamp-micros' });
    expect(roundTrip(t('timestamp'), text)).toEqual({ value, back });
  });

  it.each([
    ['2024-02-29', '2024-02-29'],
    ['1970-01-01', '1970-01-01'],
    ['1969-12-31', '1969-12-31'],
    ['1900-01-01', '1900-01-01'],
    ['5874897-12-31', '5874897-12-31'],
    ['4714-11-24 BC', '-4713-11-24'],
    ['infinity', 'infinity'],
    ['-infinity', '-infinity'],
  ])('date %s', (text, value) => {
    expect(roundTrip(t('date'), text)).toEqual({ value, back: text });
  });

  it('date is days since the epoch', () => {
    const avro = createAvroType(codecFor(t('date')).avro as object);
    expect(avro.toBuffer('1969-12-31')).toEqual(createAvroType({ type: 'int' }).toBuffer(-1));
    expect(avro.toBuffer('infinity')).toEqual(createAvroType({ type: 'int' }).toBuffer(2147483647));
  });

  it.each([
    ['00:00:00', '00:00:00.000000'],
    ['23:59:59.999999', '23:59:59.999999'],
    ['24:00:00', '24:00:00.000000'],
    ['12:30:00.5', '12:30:00.500000'],
  ])('time %s', (text, value) => {
    expect(roundTrip(t('time'), text)).toEqual({ value, back: value });
  });
});

/** The Avro long (zig-zag varint) at the start of `buf`, for checking what a logical type wrote. */
function longOf(buf: Buffer): bigint {
  let n = 0n;
  let shift = 0n;
  for (const byte of buf) {
    n |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) break;
  }
  return (n >> 1n) ^ -(n & 1n);
}

describe('type mapping: integers, floats, booleans', () => {
  it.each([['9223372036854775807'], ['9223372036854775806'], ['-9223372036854775808'], ['0']])('bigint %s is a BigInt, exactly', (text) => {
    expect(roundTrip(t('int8'), text)).toEqual({ value: BigInt(text), back: text });
  });

  it('smallint and integer are numbers; at their limits', () => {
    expect(roundTrip(t('int2'), '-32768')).toEqual({ value: -32768, back: '-32768' });
    expect(roundTrip(t('int4'), '2147483647')).toEqual({ value: 2147483647, back: '2147483647' });
    expect(roundTrip(t('int4'), '-2147483648').value).toBe(-2147483648);
  });

  it('floats keep NaN, infinities, negative zero and every digit', () => {
    expect(roundTrip(t('float8'), 'NaN')).toEqual({ value: NaN, back: 'NaN' });
    expect(roundTrip(t('float8'), 'Infinity').back).toBe('Infinity');
    expect(roundTrip(t('float8'), '-Infinity').value).toBe(-Infinity);
    expect(roundTrip(t('float8'), '-0')).toEqual({ value: -0, back: '-0' });
    expect(roundTrip(t('float8'), '0.30000000000000004').back).toBe('0.30000000000000004');
    expect(roundTrip(t('float8'), '1.7976931348623157e+308').back).toBe('1.7976931348623157e+308');
    expect(roundTrip(t('float4'), '1.1').value).toBe(Math.fround(1.1));
    expect(roundTrip(t('float4'), 'NaN').back).toBe('NaN');
    expect(roundTrip(t('float4'), '-0').back).toBe('-0');
  });

  it('booleans', () => {
    expect(roundTrip(t('bool'), 't')).toEqual({ value: true, back: 't' });
    expect(roundTrip(t('bool'), 'f')).toEqual({ value: false, back: 'f' });
    expect(() => codecFor(t('bool')).fromPgText('yes')).toThrow('not a boolean');
  });
});

describe('type mapping: strings and bytes', () => {
  it('uuid is a string with the uuid logical type', () => {
    expect(codecFor(t('uuid')).avro).toMatchObject({ type: 'string', logicalType: 'uuid' });
    expect(roundTrip(t('uuid'), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11').value).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
  });

  it('json and jsonb keep the exact text', () => {
    expect(roundTrip(t('jsonb'), '{"a": [1, 2.50], "€": "\\u00e9"}').value).toBe('{"a": [1, 2.50], "€": "\\u00e9"}');
    expect(roundTrip(t('json'), '{ "dup": 1, "dup": 2 }').value).toBe('{ "dup": 1, "dup": 2 }');
  });

  it('text keeps non-ASCII, emoji, quotes, backslashes, newlines', () => {
    const text = 'Grüße 💸 ñ 日本 "q" \\ \n\ttab';
    expect(roundTrip(t('text'), text)).toEqual({ value: text, back: text });
    expect(roundTrip(t('text'), '')).toEqual({ value: '', back: '' });
  });

  it('bytea is a Buffer, read and written as hex', () => {
    expect(roundTrip(t('bytea'), '\\x00ff10')).toEqual({ value: Buffer.from([0, 255, 16]), back: '\\x00ff10' });
    expect(roundTrip(t('bytea'), '\\x')).toEqual({ value: Buffer.alloc(0), back: '\\x' });
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(roundTrip(t('bytea'), `\\x${all.toString('hex')}`).value).toEqual(all);
    expect(() => codecFor(t('bytea')).fromPgText('\\000')).toThrow('bytea_output=hex');
  });

  it('enums, interval, inet and unknown types are PostgreSQL text', () => {
    expect(roundTrip(t('payment_status', { category: 'enum' }), 'settled')).toEqual({ value: 'settled', back: 'settled' });
    expect(roundTrip(t('interval'), '1 year 2 mons -3 days 04:05:06.789').value).toBe('1 year 2 mons -3 days 04:05:06.789');
    expect(roundTrip(t('inet'), '192.168.0.1/24').value).toBe('192.168.0.1/24');
    expect(codecFor(t('some_extension_type', { category: 'other' })).avro).toBe('string');
  });
});

describe('type mapping: arrays', () => {
  it('text arrays with quoting, commas, backslashes, NULL and "NULL"', () => {
    const pg = '{"a,b","c\\"d",NULL,"NULL",plain,"back\\\\slash","","{braces}"," spaced ",😀}';
    const { value, back } = roundTrip(arrayOf(t('text')), pg);
    expect(value).toEqual(['a,b', 'c"d', null, 'NULL', 'plain', 'back\\slash', '', '{braces}', ' spaced ', '😀']);
    expect(codecFor(arrayOf(t('text'))).fromPgText(back)).toEqual(value);
  });

  it('arrays of integers, decimals, bytea and timestamps use the element codec', () => {
    expect(codecFor(arrayOf(t('int4'))).avro).toMatchObject({ type: 'array', items: ['null', 'int'] });
    expect(roundTrip(arrayOf(t('int4')), '{1,NULL,3}')).toEqual({ value: [1, null, 3], back: '{"1",NULL,"3"}' });
    expect(roundTrip(arrayOf(t('int8')), '{-9223372036854775808}').value).toEqual([-9223372036854775808n]);
    expect(roundTrip(arrayOf(t('numeric', { precision: 10, scale: 2 })), '{1.10,-2.25,NULL}').value).toEqual(['1.10', '-2.25', null]);
    expect(roundTrip(arrayOf(t('numeric')), '{1.10,-0.000001}').value).toEqual(['1.10', '-0.000001']);
    expect(roundTrip(arrayOf(t('bytea')), '{"\\\\x00ff",NULL}')).toEqual({ value: [Buffer.from([0, 255]), null], back: '{"\\\\x00ff",NULL}' });
    expect(roundTrip(arrayOf(t('timestamptz')), '{"2024-01-01 00:00:00+00"}').value).toEqual(['2024-01-01T00:00:00.000000Z']);
  });

  it('empty arrays', () => {
    expect(roundTrip(arrayOf(t('text')), '{}')).toEqual({ value: [], back: '{}' });
  });

  it('refuses what it cannot represent, clearly', () => {
    expect(() => codecFor(arrayOf(t('int4'))).fromPgText('{{1,2},{3,4}}')).toThrow('multi-dimensional');
    expect(() => codecFor(arrayOf(t('int4'))).fromPgText('[0:1]={1,2}')).toThrow('explicit bounds');
    expect(() => codecFor(arrayOf(t('text'))).fromPgText('{"open}')).toThrow('unterminated');
    expect(() => codecFor(arrayOf(t('text'))).fromPgText('{"a"b}')).toThrow('unexpected "b"');
    expect(() => codecFor(arrayOf(t('text'))).fromPgText('1,2')).toThrow('not an array literal');
  });

  it('box arrays (delimiter ";") travel as text rather than being split wrongly', () => {
    expect(roundTrip(arrayOf(t('box')), '{(1,1),(0,0);(2,2),(1,1)}').value).toBe('{(1,1),(0,0);(2,2),(1,1)}');
  });
});

describe('type mapping: Kafka Connect names', () => {
  const connectOf = (type: ColumnType) => {
    const avro = codecFor(type).avro as Record<string, unknown>;
    return { name: avro['connect.name'], parameters: avro['connect.parameters'], type: avro['connect.type'] };
  };

  it.each([
    [t('timestamptz'), 'io.debezium.time.MicroTimestamp'],
    [t('timestamp'), 'io.debezium.time.MicroTimestamp'],
    // Connect's Avro converters make logicalType date Connect's Date and refuse any other name for it.
    [t('date'), 'org.apache.kafka.connect.data.Date'],
    [t('time'), 'io.debezium.time.MicroTime'],
    [t('uuid'), 'io.debezium.data.Uuid'],
    [t('json'), 'io.debezium.data.Json'],
    [t('jsonb'), 'io.debezium.data.Json'],
    [t('xml'), 'io.debezium.data.Xml'],
    [t('numeric'), 'io.debezium.data.VariableScaleDecimal'],
  ])('%o is %s for a Connect sink, its Avro logical type kept', (type, name) => {
    expect(connectOf(type).name).toBe(name);
  });

  it('a decimal is Connect\'s Decimal with its scale and precision as parameters', () => {
    expect(connectOf(t('numeric', { precision: 20, scale: 4 }))).toEqual({
      name: 'org.apache.kafka.connect.data.Decimal',
      parameters: { scale: '4', 'connect.decimal.precision': '20' },
      type: undefined,
    });
    expect(connectOf(t('money')).parameters).toEqual({ scale: '2', 'connect.decimal.precision': '19' });
  });

  it('a smallint is Connect\'s INT16; types Debezium sends as plain strings or numbers carry no name', () => {
    expect(connectOf(t('int2')).type).toBe('int16');
    for (const typeName of ['int4', 'int8', 'text', 'bytea', 'bool', 'float8', 'inet', 'interval']) expect(connectOf(t(typeName)).name).toBeUndefined();
  });

  it('the names change nothing for an Avro reader: the annotated schema reads what the plain one wrote', () => {
    const annotated = createAvroType({ type: 'record', name: 'R', fields: [{ name: 'v', type: codecFor(t('numeric', { precision: 6, scale: 2 })).avro }] });
    const plain = createAvroType({ type: 'record', name: 'R', fields: [{ name: 'v', type: { type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 } }] });
    expect(annotated.fromBuffer(plain.toBuffer({ v: '-1234.56' }))).toEqual({ v: '-1234.56' });
  });
});
