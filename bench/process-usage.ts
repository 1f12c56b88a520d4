import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Clock ticks per second of /proc/<pid>/stat on Linux (USER_HZ). */
const TICKS_PER_SECOND = 100;

export interface ProcessUsage {
  /** The most memory the process has held (VmHWM). */
  peakRssMiB: number;
  /** CPU used so far, user and system. */
  cpuSeconds: number;
}

/** What a running process has used, from /proc; undefined once it has exited. */
export function processUsage(pid: number | undefined): ProcessUsage | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime is the 12th, stime the 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const peak = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    // An exited process not yet reaped has no memory figures: the sample before it stands.
    if (peak === undefined) return undefined;
    return {
      peakRssMiB: Number(peak) / 1024,
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/** /proc/<pid>/stat's fields after the command name (which may hold spaces): 1 is the parent's pid, 11-14 utime, stime, cutime, cstime. */
function statFields(pid: string | number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds so far of a service of the local stack (its pid file in .stack/pids: postgres,
 * kafka, registry) with its children: ended ones (a PostgreSQL backend) through the parent's
 * cutime, running ones read one by one.
 */
export function stackServiceCpuSeconds(name: string): number {
  const pid = readFileSync(join(__dirname, '..', '.stack', 'pids', `${name}.pid`), 'utf8').trim();
  const own = statFields(pid);
  if (!own) return NaN;
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields?.[1] === pid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** Busy and all clock ticks of every CPU of the machine so far (the first line of /proc/stat). */
function machineTicks(): { busy: number; all: number } {
  // user nice system idle iowait irq softirq steal
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const all = ticks.reduce((a, b) => a + b, 0);
  return { busy: all - ticks[3] - ticks[4], all };
}

export function usageText(usage: ProcessUsage | undefined): string {
  return usage ? `peak RSS ${usage.peakRssMiB.toFixed(0)} MiB, ${usage.cpuSeconds.toFixed(1)} s of CPU` : 'usage unknown (exited)';
}

/** CPU seconds the stack's PostgreSQL and Kafka burnt over a window, and how busy the whole machine was. */
export interface StackCpu {
  postgresSeconds: number;
  kafkaSeconds: number;
  /** Share of all cores' time spent busy, 0..1. */
  machineBusy: number;
}

/** CPU seconds each named counter (seconds so far) spent over a window, and how busy the whole machine was. */
export interface CpuWindow<K extends string> {
  seconds: Record<K, number>;
  /** Share of all cores' time spent busy, 0..1. */
  machineBusy: number;
}

/** Starts a window now over `counters`; the returned function ends it. */
export function cpuWindow<K extends string>(counters: Record<K, () => number>): () => CpuWindow<K> {
  const names = Object.keys(counters) as K[];
  const read = (): Record<K, number> => Object.fromEntries(names.map((name) => [name, counters[name]()])) as Record<K, number>;
  const ticks = machineTicks();
  const before = read();
  return () => {
    const after = machineTicks();
    const now = read();
    return {
      seconds: Object.fromEntries(names.map((name) => [name, now[name] - before[name]])) as Record<K, number>,
      machineBusy: (after.busy - ticks.busy) / (after.all - ticks.all),
    };
  };
}

/** Starts a window now over the stack's PostgreSQL and Kafka; the returned function ends it. Where a step waits, this says on whom. */
export function stackCpuWindow(): () => StackCpu {
  const end = cpuWindow({ postgres: () => stackServiceCpuSeconds('postgres'), kafka: () => stackServiceCpuSeconds('kafka') });
  return () => {
    const { seconds, machineBusy } = end();
    return { postgresSeconds: seconds.postgres, kafkaSeconds: seconds.kafka, machineBusy };
  };
}

export function stackCpuText(cpu: StackCpu): string {
  return `PostgreSQL ${cpu.postgresSeconds.toFixed(1)} s and Kafka ${cpu.kafkaSeconds.toFixed(1)} s of CPU, machine ${(cpu.machineBusy * 100).toFixed(0)} % busy`;
}
