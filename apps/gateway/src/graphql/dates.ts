/** Calendar arithmetic on YYYY-MM-DD strings (UTC, no clocks). */

export function utcToday(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Day number of a YYYY-MM-DD date (days since 1970-01-01). */
export function dayNumber(date: string): number {
  // H. Hinnant's days_from_civil: proleptic Gregorian, right for years 0001-0099 too (Date.UTC is not).
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Whole days from `from` to `to`. */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

/** Whole years from `birth` to `today` (a birthday on Feb 29 comes on Mar 1 in common years). */
export function wholeYears(birth: string, today: string): number {
  const years = Number(today.slice(0, 4)) - Number(birth.slice(0, 4));
  return today.slice(5) < birth.slice(5) ? years - 1 : years;
}

/** The first day of the month of `date`. */
export function firstOfMonth(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

/** `date` moved by whole years; Feb 29 becomes Feb 28 in a common year. */
export function addYears(date: string, years: number): string {
  const year = String(Number(date.slice(0, 4)) + years).padStart(4, "0");
  const monthDay = date.slice(5);
  const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return monthDay === "02-29" && !leap(Number(year)) ? `${year}-02-28` : `${year}-${monthDay}`;
}
