import { createAvroType } from '../avro-type';
import { codecFor } from '../type-mapping';
import type { ColumnType } from '../table-shape';
import { bigUnscaledToBytes, canonicalDigits, formatDecimal, toScale, unscaledToBytes } from './decimal';
import { timestampFromPg, timestamptzFromPg } from './temporal';

const t = (typeName: string, extra: Partial<ColumnType> = {}): ColumnType => ({ typeName, pgType: typeName, typeOid: 0, category: 'base', ...extra });

/** Deterministic pseudo-random numbers, so a failure repeats. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('fast paths give exactly what the exact paths give', () => {
  const next = random(7);

  it('unscaled values to two\'s-complement bytes, on both sides of 2^52 and at every byte boundary', () => {
    const values = [0n, 1n, -1n, 127n, 128n, -128n, -129n, 255n, 256n, 32767n, 32768n, -32768n, -32769n, 2n ** 52n - 1n, -(2n ** 52n) + 1n, 2n ** 52n, 2n ** 63n, -(10n ** 38n)];
    for (let bits = 1; bits < 70; bits++) {
      const base = 2n ** BigInt(bits);
      values.push(base, base - 1n, -base, -base + 1n, -base - 1n, BigInt(Math.floor(next() * 2 ** 30)) * base / 2n ** 30n);
    }
    for (const n of values) expect({ n, hex: unscaledToBytes(n).toString('hex') }).toEqual({ n, hex: bigUnscaledToBytes(n).toString('hex') });
  });

  it('numeric(p,s) text PostgreSQL prints is taken as is, and other text still goes through the exact path', () => {
    for (const [text, scale, digits] of [['0.0000', 4, 1], ['-0.0001', 4, 1], ['12.3400', 4, 6], ['100', 0, 3], ['0', 0, 1], ['-9999999999999999.9999', 4, 20]] as const) {
      expect(canonicalDigits(text, scale)).toBe(digits);
    }
    for (const [text, scale] of [['-0.0000', 4], ['-0', 0], ['01.5000', 4], ['.5000', 4], ['1.500', 4], ['1.50000', 4], ['+1.5000', 4], ['1e5', 0], ['', 0], ['-', 0], ['1.', 0], [' 1', 0]] as const) {
      expect({ text, digits: canonicalDigits(text, scale) }).toEqual({ text, digits: -1 });
    }
    for (let i = 0; i < 3000; i++) {
      const scale = Math.floor(next() * 8);
      const precision = scale + 1 + Math.floor(next() * 20);
      const width = 1 + Math.floor(next() * precision);
      const magnitude = BigInt(Array.from({ length: width }, () => Math.floor(next() * 10)).join(''));
      const unscaled = next() < 0.5 ? -magnitude : magnitude;
      const text = formatDecimal(unscaled, scale);
      const codec = codecFor(t('numeric', { precision, scale }));
      expect(codec.fromPgText(text)).toBe(formatDecimal(toScale(text, scale), scale));
      const avro = createAvroType({ type: 'record', name: 'R', fields: [{ name: 'v', type: codec.avro }] });
      const bytes = avro.toBuffer({ v: text });
      expect({ text, hex: bytes.toString('hex') }).toEqual({ text, hex: lengthPrefixed(bigUnscaledToBytes(unscaled)).toString('hex') });
      expect(avro.fromBuffer(bytes)).toEqual({ v: text });
    }
  });

  it('timestamps in years 1000-9999 take the plain form, with the microseconds the calendar gives', () => {
    const avro = createAvroType({ type: 'record', name: 'R', fields: [{ name: 'v', type: codecFor(t('timestamptz')).avro }, { name: 'w', type: codecFor(t('timestamp')).avro }] });
    for (let i = 0; i < 3000; i++) {
      const ms = Math.floor(-30610224000000 + next() * (253402300799999 + 30610224000000)); // 1000-01-01 .. 9999-12-31
      const micro = Math.floor(next() * 1000);
      const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
      const fraction = `${iso.slice(20, 23)}${String(micro).padStart(3, '0')}`.replace(/0+$/, '');
      const pgText = `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''}`;
      const expected = `${iso.slice(0, 19)}.${fraction.padEnd(6, '0')}`;
      expect(timestamptzFromPg(`${pgText}+00`)).toBe(`${expected}Z`);
      expect(timestampFromPg(pgText)).toBe(expected);
      const micros = BigInt(ms) * 1000n + BigInt(micro);
      const bytes = avro.toBuffer({ v: `${expected}Z`, w: expected });
      expect(avro.fromBuffer(bytes)).toEqual({ v: `${expected}Z`, w: expected });
      const plain = createAvroType({ type: 'record', name: 'P', fields: [{ name: 'v', type: 'long' }, { name: 'w', type: 'long' }] });
      expect(plain.fromBuffer(bytes)).toEqual({ v: micros, w: micros });
    }
  });

  it('a timestamp read again (rows sharing now()) is the same text, and the next one its own', () => {
    const avro = createAvroType({ type: 'record', name: 'R', fields: [{ name: 'v', type: codecFor(t('timestamptz')).avro }] });
    const values = ['2024-02-29T18:29:59.123456Z', '2024-02-29T18:29:59.123456Z', '2024-02-29T18:29:59.123457Z', 'infinity', 'infinity', '-infinity', '2024-02-29T18:29:59.123456Z'];
    const bytes = values.map((v) => avro.toBuffer({ v }));
    expect(bytes.map((b) => (avro.fromBuffer(b) as { v: string }).v)).toEqual(values);
  });

  it('other timestamp text still goes through the exact path', () => {
    expect(timestamptzFromPg('0044-03-15 12:00:00+00 BC')).toBe('-0043-03-15T12:00:00.000000Z');
    expect(timestamptzFromPg('12345-06-07 08:09:10.111213+00')).toBe('12345-06-07T08:09:10.111213Z');
    expect(timestamptzFromPg('2024-02-29 23:59:59.5+05:30')).toBe('2024-02-29T18:29:59.500000Z');
    expect(timestamptzFromPg('0999-12-31 23:59:59+00')).toBe('0999-12-31T23:59:59.000000Z');
    expect(timestampFromPg('2024-02-29 18:29:59.5+00')).toBe('2024-02-29T18:29:59.500000');
  });
});

function lengthPrefixed(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([bytes.length * 2]), bytes]);
}
