import { Duration } from 'aws-cdk-lib';

/**
 * One step of a canary rollout: the share of traffic the new slot gets, and how long it
 * bakes there while the alarms are watched.
 *
 * Steps are data: build them with `CanaryStep.weight(...)` or take a preset
 * (`CanaryStep.standard()`, `CanaryStep.linear(...)`, `CanaryStep.allAtOnce()`).
 * `CanaryDeployment` checks them at synth time: percentages rising, the last one 100, and
 * every bake at least as long as the alarm evaluation window.
 *
 * @example
 * const steps = [
 *   CanaryStep.weight(5, Duration.minutes(10)),
 *   CanaryStep.weight(50, Duration.minutes(10)),
 *   CanaryStep.weight(100, Duration.minutes(5)),
 * ];
 */
export class CanaryStep {
  /**
   * A step that sends `percent` of the traffic (1 to 100, whole numbers) to the new slot,
   * then bakes for `bake` while the alarms are polled.
   */
  public static weight(percent: number, bake: Duration): CanaryStep {
    return new CanaryStep(percent, bake);
  }

  /**
   * 10%, 25%, 50% and 100% of the traffic, each baking for `bake`.
   *
   * @param bake how long each step bakes. Default: 5 minutes
   */
  public static standard(bake?: Duration): CanaryStep[] {
    const each = bake ?? Duration.minutes(5);
    return [10, 25, 50, 100].map((percent) => new CanaryStep(percent, each));
  }

  /**
   * Equal steps of `stepPercent` (1 to 100) up to 100%, each baking for `bake`: for
   * example 20 gives 20%, 40%, 60%, 80% and 100%. When 100 is not a multiple of
   * `stepPercent`, the last step is 100%.
   */
  public static linear(stepPercent: number, bake: Duration): CanaryStep[] {
    if (!Number.isInteger(stepPercent) || stepPercent < 1 || stepPercent > 100) {
      // Kept as one step so that CanaryDeployment reports the bad percentage with its path.
      return [new CanaryStep(stepPercent, bake)];
    }
    const steps: CanaryStep[] = [];
    for (let percent = stepPercent; percent < 100; percent += stepPercent) steps.push(new CanaryStep(percent, bake));
    steps.push(new CanaryStep(100, bake));
    return steps;
  }

  /**
   * All the traffic at once, then a bake of `bake` during which an alarm still sends the
   * traffic back to the live slot.
   *
   * @param bake how long the step bakes. Default: 10 minutes
   */
  public static allAtOnce(bake?: Duration): CanaryStep[] {
    return [new CanaryStep(100, bake ?? Duration.minutes(10))];
  }

  /** The share of the traffic (percent) the new slot gets in this step. */
  public readonly percent: number;
  /** How long the step bakes while the alarms are polled. */
  public readonly bake: Duration;

  private constructor(percent: number, bake: Duration) {
    this.percent = percent;
    this.bake = bake;
  }
}
