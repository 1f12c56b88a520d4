import { SettingError } from '@paysync/config';
import { captureDependencies, RecoveryBackoff, recoveryReason, stopsCapture } from './recovery';
import { KafkaAckTimeout } from '../stream/kafka-sink';

const ports = captureDependencies('postgres://u@db:5433/payments', ['kafka-1:9092', 'kafka-2:9093'], 'https://registry/apis/ccompat/v7');

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
    expect(recoveryReason(Object.assign(new Error('x'), { name: 'KafkaJSNumberOfRetriesExceeded' }), ports)).toBe('kafka');
    expect(recoveryReason(new KafkaAckTimeout(30_000), ports)).toBe('kafka');
    expect(recoveryReason(new Error('schema registry answered 503'), ports)).toBe('registry');
    expect(recoveryReason(Object.assign(new Error('the database system is shutting down'), { severity: 'FATAL', code: '57P03' }), ports)).toBe('source');
    expect(recoveryReason(new Error('Connection terminated unexpectedly'), ports)).toBe('source');
    expect(recoveryReason(new TypeError('x is undefined'), ports)).toBe('other');
  });

  it('tells a refused connection by its port', () => {
    const refused = (port: number) => Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), { code: 'ECONNREFUSED', port });
    expect(recoveryReason(refused(5433), ports)).toBe('source');
    expect(recoveryReason(new Error('fetch failed', { cause: refused(443) }), ports)).toBe('registry');
    expect(recoveryReason(refused(9093), ports)).toBe('kafka');
  });
});

describe('RecoveryBackoff', () => {
  it('doubles from 1 s to 30 s, and starts over after a term that streamed a minute', () => {
    const backoff = new RecoveryBackoff();
    expect([0, 0, 0, 0, 0, 0, 0].map((streamed) => backoff.next(streamed))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoff.next(60_000)).toBe(1000);
  });
});
