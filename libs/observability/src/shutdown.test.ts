import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { runUntilSignal } from './shutdown';
import { StartAborted } from './startup-waits';

function memoryLogger() {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => void (chunks.push(String(chunk)), done()) });
  return { logger: createLogger({ service: 'test', destination: stream }), messages: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => String((JSON.parse(l) as { msg: string }).msg)) };
}

/** The process's exits, caught (the test worker must not end), with fake timers for the drain limit. */
let exits: (number | undefined)[] = [];
beforeEach(() => {
  exits = [];
  jest.useFakeTimers();
  jest.spyOn(process, 'exit').mockImplementation(((code?: number) => void exits.push(code)) as never);
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('runUntilSignal', () => {
  it('ends a start still waiting when the signal comes (stop() gives it up), and exits once stopped if the process does not by itself', async () => {
    const { logger, messages } = memoryLogger();
    let abort!: () => void;
    const service = {
      start: () => new Promise<void>((_, reject) => (abort = () => reject(new StartAborted()))),
      stop: async () => abort(),
    };
    const running = runUntilSignal(logger, service, 5000);
    process.emit('SIGTERM', 'SIGTERM');
    await expect(running).resolves.toBe(0);
    expect(messages()).toContain('stopped cleanly');
    // What an outside system that did not answer leaves open (a kafkajs retry timer) does not keep it up.
    await jest.advanceTimersByTimeAsync(1000);
    expect(exits).toEqual([undefined]);
    expect(messages()).toContain('stopped; exiting without waiting for the clients given up on');
    await jest.advanceTimersByTimeAsync(10_000);
    expect(exits).toEqual([undefined]);
  });

  it('still ends when the start cannot be given up', async () => {
    const { logger } = memoryLogger();
    const running = runUntilSignal(logger, { start: () => new Promise<void>(() => undefined), stop: async () => undefined }, 5000);
    process.emit('SIGINT', 'SIGINT');
    await expect(running).resolves.toBe(0);
  });

  it('exits 1 at the drain limit when the stop does not end, saying so', async () => {
    const { logger, messages } = memoryLogger();
    void runUntilSignal(logger, { start: async () => undefined, stop: () => new Promise<void>(() => undefined) }, 200);
    await jest.advanceTimersByTimeAsync(0);
    process.emit('SIGTERM', 'SIGTERM');
    await jest.advanceTimersByTimeAsync(199);
    expect(exits).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
    expect(messages()).toContain('still stopping 0.2 s after SIGTERM (PAYSYNC_DRAIN_TIMEOUT_MS): exiting now');
  });

  it('rejects with the error of a start that fails by itself, after stopping what started', async () => {
    const { logger } = memoryLogger();
    const stopped: string[] = [];
    const failure = new Error('the target refused');
    await expect(runUntilSignal(logger, { start: async () => Promise.reject(failure), stop: async () => void stopped.push('stop') }, 5000)).rejects.toBe(failure);
    expect(stopped).toEqual(['stop']);
  });
});
