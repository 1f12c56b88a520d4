import type { Schema } from 'avsc';
import { canonicalDigits, parseDecimal, toScale, formatDecimal } from './codecs/decimal';
import { formatPgArray, parsePgArray } from './codecs/pg-array';
import { dateFromPg, dateTimeToPg, timeFromPg, timestampFromPg, timestamptzFromPg } from './codecs/temporal';
import type { ColumnType } from './table-shape';

/** A column's value in JS: exact types (numeric, int8, timestamps) never pass through a double. */
export type ColumnValue = null | boolean | number | bigint | string | Buffer | ColumnValue[];

/** How one PostgreSQL type travels: its Avro type, and PostgreSQL text <-> JS value. */
export interface ColumnCodec {
  /** The Avro type (never nullable itself; row fields wrap it in ['null', T]). */
  avro: Schema;
  fromPgText(text: string): ColumnValue;
  /** A literal PostgreSQL reads back to the identical value. */
  toPgText(value: ColumnValue): string;
}

const text: ColumnCodec = { avro: 'string', fromPgText: (t) => t, toPgText: (v) => String(v) };

/**
 * Kafka Connect's and Debezium's name for a type (docs/type-mapping.md "Kafka Connect names"), beside
 * the Avro logical type: Connect's Avro converters turn it into the Connect schema name, by which a
 * Connect sink (Debezium's JDBC sink) picks the column's type. Avro readers ignore it.
 */
function connectNamed(avro: Exclude<Schema, string | unknown[]>, name: string, parameters?: Record<string, string>): Schema {
  return { ...avro, 'connect.name': name, 'connect.version': 1, ...(parameters ? { 'connect.parameters': parameters } : {}) } as Schema;
}

/** A text-carried type Debezium names (json, xml): PostgreSQL's text, as before. */
function namedText(name: string): ColumnCodec {
  return { ...text, avro: connectNamed({ type: 'string' }, name) };
}

function integer(avro: Schema): ColumnCodec {
  return {
    avro,
    fromPgText: (t) => {
      const n = Number(t);
      if (!Number.isInteger(n)) throw new Error(`"${t}" is not an integer`);
      return n;
    },
    toPgText: (v) => String(v),
  };
}

const bigint: ColumnCodec = { avro: 'long', fromPgText: (t) => BigInt(t), toPgText: (v) => String(v) };

function float(avro: 'float' | 'double'): ColumnCodec {
  // A real is rounded to 32 bits here, as Avro will, so the JS value equals what a reader decodes.
  const read = avro === 'float' ? (t: string) => Math.fround(Number(t)) : (t: string) => Number(t);
  // String(-0) is "0": keep the sign, PostgreSQL stores and prints it. NaN/Infinity print as PG reads them.
  return { avro, fromPgText: read, toPgText: (v) => (Object.is(v, -0) ? '-0' : String(v)) };
}

const boolean: ColumnCodec = {
  avro: 'boolean',
  fromPgText: (t) => {
    if (t !== 't' && t !== 'f') throw new Error(`"${t}" is not a boolean`);
    return t === 't';
  },
  toPgText: (v) => (v ? 't' : 'f'),
};

const bytea: ColumnCodec = {
  avro: 'bytes',
  fromPgText: (t) => {
    if (!t.startsWith('\\x')) throw new Error('bytea must be read with bytea_output=hex');
    return Buffer.from(t.slice(2), 'hex');
  },
  toPgText: (v) => `\\x${(v as Buffer).toString('hex')}`,
};

function decimal(precision: number, scale: number): ColumnCodec {
  return {
    avro: connectNamed({ type: 'bytes', logicalType: 'decimal', precision, scale }, 'org.apache.kafka.connect.data.Decimal', {
      scale: String(scale),
      'connect.decimal.precision': String(precision),
    }),
    // PostgreSQL prints numeric(p,s) with exactly s fraction digits: usually the JS form already.
    fromPgText: (t) => (canonicalDigits(t, scale) > 0 ? t : formatDecimal(toScale(t, scale), scale)),
    toPgText: (v) => String(v),
  };
}

const variableDecimal: ColumnCodec = {
  avro: connectNamed({
    type: 'record',
    name: 'VariableScaleDecimal',
    namespace: 'io.debezium.data',
    logicalType: 'paysync-variable-decimal',
    fields: [
      { name: 'scale', type: 'int' },
      { name: 'value', type: 'bytes' },
    ],
  } as Exclude<Schema, string | unknown[]>, 'io.debezium.data.VariableScaleDecimal'),
  fromPgText: (t) => {
    parseDecimal(t); // refuses NaN / Infinity with a clear message
    return t;
  },
  toPgText: (v) => String(v),
};

/** money prints as "$1,234.56" / "-$1,234.56" (lc_monetary=C); it travels as decimal(19,2). */
const money: ColumnCodec = {
  ...decimal(19, 2),
  fromPgText: (t) => formatDecimal(toScale(t.replace(/[$,]/g, ''), 2), 2),
};

// Connect's Avro converters make logicalType date Connect's own Date and refuse any other name for
// it, so date keeps Connect's name; a timestamptz (UTC microseconds) is Debezium's MicroTimestamp,
// whose sink writes it in its database.time_zone (UTC by default).
const temporal = {
  timestamptz: {
    avro: connectNamed({ type: 'long', logicalType: 'timestamp-micros' }, 'io.debezium.time.MicroTimestamp'),
    fromPgText: timestamptzFromPg,
    toPgText: (v) => dateTimeToPg(String(v), true),
  },
  timestamp: {
    avro: connectNamed({ type: 'long', logicalType: 'local-timestamp-micros' }, 'io.debezium.time.MicroTimestamp'),
    fromPgText: timestampFromPg,
    toPgText: (v) => dateTimeToPg(String(v), false),
  },
  date: { avro: connectNamed({ type: 'int', logicalType: 'date' }, 'org.apache.kafka.connect.data.Date'), fromPgText: dateFromPg, toPgText: (v) => dateTimeToPg(String(v), false) },
  time: { avro: connectNamed({ type: 'long', logicalType: 'time-micros' }, 'io.debezium.time.MicroTime'), fromPgText: timeFromPg, toPgText: (v) => String(v) },
} satisfies Record<string, ColumnCodec>;

const uuid: ColumnCodec = { avro: connectNamed({ type: 'string', logicalType: 'uuid' }, 'io.debezium.data.Uuid'), fromPgText: (t) => t, toPgText: (v) => String(v) };
const json = namedText('io.debezium.data.Json');
const xml = namedText('io.debezium.data.Xml');

function arrayOf(element: ColumnCodec): ColumnCodec {
  return {
    avro: { type: 'array', items: ['null', element.avro] } as Schema,
    fromPgText: (t) => parsePgArray(t).map((item) => (item === null ? null : element.fromPgText(item))),
    toPgText: (v) => formatPgArray((v as ColumnValue[]).map((item) => (item === null ? null : element.toPgText(item)))),
  };
}

/**
 * The codec of a PostgreSQL type. Types without an exact Avro counterpart (json, inet, interval,
 * enums, ...) travel as PostgreSQL's own text, which is exact by definition.
 */
export function codecFor(type: ColumnType): ColumnCodec {
  if (type.category === 'array') {
    if (!type.element) throw new Error(`array type ${type.pgType} has no element type`);
    // box is the one built-in type whose array delimiter is ';', not ',': its arrays travel as text.
    if (type.element.typeName === 'box') return text;
    return arrayOf(codecFor(type.element));
  }
  switch (type.typeName) {
    case 'bool':
      return boolean;
    case 'int2':
      // Connect's INT16, as Debezium sends a smallint
      return integer({ type: 'int', 'connect.type': 'int16' } as Schema);
    case 'int4':
      return integer('int');
    case 'int8':
      return bigint;
    case 'float4':
      return float('float');
    case 'float8':
      return float('double');
    case 'numeric':
      // Avro's decimal needs 0 <= scale <= precision; PostgreSQL 15 also allows numeric(2,-3) and
      // numeric(2,5), which then travel as variable-scale decimals (still exact).
      return type.precision !== undefined && type.scale !== undefined && type.scale >= 0 && type.scale <= type.precision
        ? decimal(type.precision, type.scale)
        : variableDecimal;
    case 'money':
      return money;
    case 'timestamptz':
    case 'timestamp':
    case 'date':
    case 'time':
      return temporal[type.typeName];
    case 'uuid':
      return uuid;
    case 'bytea':
      return bytea;
    case 'json':
    case 'jsonb':
      return json;
    case 'xml':
      return xml;
    default:
      return text;
  }
}
