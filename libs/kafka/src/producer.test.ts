import { isFencedError, ProducerUnusable } from './producer';

describe('isFencedError', () => {
  it('recognises the broker fencing an older producer, however wrapped', () => {
    const epoch = Object.assign(new Error('The producer attempted to use a producer id which is not currently assigned'), { type: 'INVALID_PRODUCER_EPOCH', code: 47 });
    expect(isFencedError(epoch)).toBe(true);
    expect(isFencedError(new Error('retries exceeded', { cause: epoch }))).toBe(true);
    expect(isFencedError(Object.assign(new Error('unknown'), { code: 90 }))).toBe(true);
    expect(isFencedError(new ProducerUnusable(epoch))).toBe(true);
  });

  it('is false for other errors', () => {
    expect(isFencedError(Object.assign(new Error('Connection timeout'), { name: 'KafkaJSConnectionError' }))).toBe(false);
    expect(isFencedError(undefined)).toBe(false);
  });
});
