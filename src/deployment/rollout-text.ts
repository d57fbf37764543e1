/**
 * Texts of a rollout that AWS limits: the approval request's SNS subject, display names.
 */

/** The longest SNS message subject: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html */
export const SNS_SUBJECT_LIMIT = 100;

/**
 * `text` as printable ASCII (other characters become '?') of at most `max` characters: a longer
 * text keeps its end (for a construct path, the ids that name the service) after '...'.
 * Deterministic, so that a synth gives the same value every time.
 */
export function shortAscii(text: string, max: number): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= max ? ascii : `...${ascii.slice(ascii.length - (max - 3))}`;
}

/**
 * The Subject of an approval request: SNS takes ASCII text of at most 100 characters that
 * begins with a letter, number or punctuation mark, with no line break or control character
 * (`Subject` of https://docs.aws.amazon.com/sns/latest/api/API_Publish.html); a longer one
 * makes Publish fail. A long label keeps its end.
 */
export function approvalSubject(label: string): string {
  const before = 'Canary rollout of ';
  const after = ' waits for approval';
  return `${before}${shortAscii(label, SNS_SUBJECT_LIMIT - before.length - after.length)}${after}`;
}

/**
 * `text` as a string literal inside an intrinsic function (`States.Format('...')`): the
 * characters `'`, `{` and `}` escaped with a backslash, as the States Language requires
 * (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html). A backslash
 * becomes `/`: an escaped one (`\\`) is refused by asl-validator's grammar of intrinsic
 * functions, and we do not emit what a validator refuses.
 */
export function intrinsicLiteral(text: string): string {
  return text.replace(/\\/g, '/').replace(/['{}]/g, (c) => `\\${c}`);
}
