/** What happens to the slot that served traffic before a successful rollout. */
export enum OldSlot {
  /** It keeps running its tasks, so that traffic can go back to it at once. */
  KEEP_WARM = 'KEEP_WARM',
  /** It scales in to zero tasks; the next rollout scales it out again before deploying. */
  SCALE_IN = 'SCALE_IN',
}
