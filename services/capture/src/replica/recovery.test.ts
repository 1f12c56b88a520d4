import { SettingError } from '@paysync/config';
import { RecoveryBackoff, recoveryReason, stopsCapture } from './recovery';

describe('stopsCapture', () => {
  it('stops on settings to change and missing privileges, wrapped or not', () => {
    const setting = new SettingError(['PAYSYNC_SLOT'], 'the slot is lost', 'set PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS');
    expect(stopsCapture(setting)).toBe(true);
    expect(stopsCapture(new Error('wrapped', { cause: setting }))).toBe(true);
    expect(stopsCapture(Object.assign(new Error('permission denied for table accounts'), { code: '42501' }))).toBe(true);
  });

  it('recovers in place from outages', () => {
    expect(stopsCapture(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' }))).toBe(false);
    expect(stopsCapture(Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' }))).toBe(false);
    expect(stopsCapture(new Error('the replication connection ended'))).toBe(false);
  });
});

describe('recoveryReason', () => {
  it('names the system that failed', () => {
    expect(recoveryReason(Object.assign(new Error('x'), { name: 'KafkaJSNumberOfRetriesExceeded' }))).toBe('kafka');
    expect(recoveryReason(new Error('schema registry answered 503'))).toBe('registry');
    expect(recoveryReason(Object.assign(new Error('the database system is shutting down'), { severity: 'FATAL', code: '57P03' }))).toBe('source');
    expect(recoveryReason(new Error('Connection terminated unexpectedly'))).toBe('source');
    expect(recoveryReason(new TypeError('x is undefined'))).toBe('other');
  });
});

describe('RecoveryBackoff', () => {
  it('doubles from 1 s to 30 s, and starts over after a term that streamed a minute', () => {
    const backoff = new RecoveryBackoff();
    expect([0, 0, 0, 0, 0, 0, 0].map((streamed) => backoff.next(streamed))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoff.next(60_000)).toBe(1000);
  });
});
