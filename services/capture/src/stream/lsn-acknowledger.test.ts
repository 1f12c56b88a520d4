import { LsnAcknowledger } from './lsn-acknowledger';

describe('LsnAcknowledger', () => {
  it('confirms only positions it was told are safe, never going backwards', async () => {
    const confirmed: string[] = [];
    const ack = new LsnAcknowledger({ confirm: async (lsn) => void confirmed.push(lsn) });
    await ack.report(true);
    expect(confirmed).toEqual([]); // nothing safe yet: nothing confirmed, even when asked
    ack.safeUpTo('0/200');
    ack.safeUpTo('0/100'); // an older position never lowers the confirmed one
    await ack.report();
    await ack.report(); // unchanged: not sent again unless forced
    expect(confirmed).toEqual(['0/200']);
    ack.safeUpTo('1/0');
    await ack.report();
    await ack.report(true);
    expect(confirmed).toEqual(['0/200', '1/0', '1/0']);
  });
});
