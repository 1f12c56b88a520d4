import { readFileSync } from 'node:fs';

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
    return {
      peakRssMiB: Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024,
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

export function usageText(usage: ProcessUsage | undefined): string {
  return usage ? `peak RSS ${usage.peakRssMiB.toFixed(0)} MiB, ${usage.cpuSeconds.toFixed(1)} s of CPU` : 'usage unknown (exited)';
}
