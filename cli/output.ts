/**
 * Where the command writes, and how it writes times and durations.
 */

/** A stream the command writes to (process.stdout, process.stderr, or a test's capture). */
export interface Terminal {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** An ISO time to the second (`2026-01-01T12:00:00Z`). */
export function isoTime(date: Date | number | string | undefined): string {
  if (date === undefined) return '-';
  const d = new Date(date);
  return Number.isNaN(d.getTime()) ? String(date) : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A duration in words (`45s`, `4m 10s`, `2h 05m`). */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Lines as a two-column table (`label  value`). */
export function table(rows: [string, string][], indent = '  '): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`);
}
