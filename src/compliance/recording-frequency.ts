/**
 * How often the configuration recorder records changes.
 *
 * @see https://docs.aws.amazon.com/config/latest/developerguide/select-resources.html#select-resources-recording-frequency
 */
export enum RecordingFrequency {
  /** Every change, when it happens. Change-triggered rules evaluate at once. */
  CONTINUOUS = 'CONTINUOUS',
  /**
   * At most one configuration item a day per resource, when it changed: cheaper, but
   * change-triggered rules see a change up to a day late.
   */
  DAILY = 'DAILY',
}
