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

describe('LsnAcknowledger timer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports a new safe position within the prompt delay, and the unchanged one once per status interval', async () => {
    const confirmed: string[] = [];
    const ack = new LsnAcknowledger({ confirm: async (lsn) => void confirmed.push(lsn) });
    ack.start(1000, 100);
    ack.safeUpTo('0/10');
    await jest.advanceTimersByTimeAsync(100);
    expect(confirmed).toEqual(['0/10']);
    await jest.advanceTimersByTimeAsync(800); // unchanged: nothing more before the status interval
    expect(confirmed).toEqual(['0/10']);
    await jest.advanceTimersByTimeAsync(100);
    expect(confirmed).toEqual(['0/10', '0/10']); // the status update, keeping the walsender alive
    ack.safeUpTo('0/20');
    await jest.advanceTimersByTimeAsync(100);
    expect(confirmed).toEqual(['0/10', '0/10', '0/20']);
    ack.stop();
    ack.safeUpTo('0/30');
    await jest.advanceTimersByTimeAsync(5000);
    expect(confirmed).toEqual(['0/10', '0/10', '0/20']);
  });
});
