import { bigIntToLsn, lsnToBigInt, lsnToDecimal } from './lsn';

describe('LSN', () => {
  it('converts exactly both ways, across the 32-bit boundary', () => {
    expect(lsnToBigInt('16/B374D848')).toBe(0x16b374d848n);
    expect(bigIntToLsn(0x16b374d848n)).toBe('16/B374D848');
    expect(bigIntToLsn(lsnToBigInt('1/0') - 1n)).toBe('0/FFFFFFFF');
    expect(bigIntToLsn(lsnToBigInt('FFFFFFFF/FFFFFFFF'))).toBe('FFFFFFFF/FFFFFFFF');
    // Either side of 2^53, where the double fast path ends.
    expect(lsnToBigInt('1FFFFF/FFFFFFFF')).toBe(2n ** 53n - 1n);
    expect(lsnToBigInt('200000/0')).toBe(2n ** 53n);
    expect(lsnToBigInt('200000/1')).toBe(2n ** 53n + 1n);
  });

  it('prints the same decimal as the BigInt, either side of 2^53', () => {
    for (const lsn of ['0/0', '0/3B9AC9FF', '0/3B9ACA00', '0/3B9ACA01', '0/FFFFFFFF', '16/B374D848', '16/0', '1FFFFF/FFFFFFFF', '200000/0', 'FFFFFFFF/FFFFFFFF']) expect(lsnToDecimal(lsn)).toBe(lsnToBigInt(lsn).toString());
    expect(() => lsnToDecimal('16-B3')).toThrow('not an LSN');
  });

  it('rejects what is not an LSN', () => {
    for (const text of ['16-B3', '', '/', '16/', '/B3', '16/B3/0', '123456789/0', '0/123456789', '0x16/B3', ' 16/B3', '16/B3 ', 'G/0']) {
      expect(() => lsnToBigInt(text)).toThrow('not an LSN');
    }
    expect(lsnToBigInt('16/b374d848')).toBe(0x16b374d848n);
    expect(lsnToBigInt('00000016/0000000A')).toBe(0x160000000an);
    expect(() => bigIntToLsn(-1n)).toThrow('out of range');
  });
});
