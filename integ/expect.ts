import { ExpectedResult } from '@aws-cdk/integ-tests-alpha';

/**
 * The actual value must equal `value`. Not `ExpectedResult.exact`: integ-tests-alpha 2.245
 * encodes it as `{"$Exact": value}`, which its assertion handler does not decode (it decodes
 * $ObjectLike, $ArrayWith, $StringLike and $SerializedJson only), so it never matches. A plain
 * JSON value is compared with `Match.exact`.
 */
export function exactly(value: unknown): ExpectedResult {
  return { result: JSON.stringify(value) };
}
