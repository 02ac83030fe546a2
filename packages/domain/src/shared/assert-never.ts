/**
 * Exhaustiveness guard for discriminated unions: adding a variant makes every `switch`
 * that forgot it fail to compile. At run time it only fires on data that bypassed the types.
 */
export function assertNever(value: never, what = "value"): never {
  let shown: string;
  try {
    shown = JSON.stringify(value);
  } catch {
    shown = String(value);
  }
  throw new Error(`Unexpected ${what}: ${shown}`);
}
