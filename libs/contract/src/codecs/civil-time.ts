/**
 * Calendar arithmetic on exact integers (proleptic Gregorian, astronomical years: 1 BC = year 0),
 * so dates far from 1970 and microseconds survive without a JS Date.
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: era * 400 + yoe + (month <= 2 ? 1 : 0), month, day };
}

const pad = (n: number | bigint, width: number): string => n.toString().padStart(width, '0');

/** ISO date of an astronomical year: 2024-02-29, -0043-03-15 (44 BC). */
export function formatIsoDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const y = year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
  return `${y}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** HH:MM:SS.ffffff from microseconds within a day (86400000000 is 24:00:00). */
export function formatTimeOfDay(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  return `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}.${pad(micros % 1_000_000n, 6)}`;
}

export const MICROS_PER_DAY = 86_400_000_000n;

/** Splits epoch microseconds into days and microseconds of the day (always 0 <= micros < a day). */
export function splitMicros(total: bigint): { days: number; micros: bigint } {
  let days = total / MICROS_PER_DAY;
  let micros = total % MICROS_PER_DAY;
  if (micros < 0n) {
    micros += MICROS_PER_DAY;
    days -= 1n;
  }
  return { days: Number(days), micros };
}
