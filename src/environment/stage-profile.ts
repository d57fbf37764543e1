/**
 * A stage profile (twelve-factor X, dev/prod parity): the same constructs in every stage;
 * the profile changes only sizes and counts.
 */
export enum StageProfile {
  /**
   * Small and cheap: 0.25 vCPU and 512 MiB per task, 1 to 2 tasks.
   */
  DEVELOPMENT = 'development',
  /**
   * Sized for traffic: 0.5 vCPU and 1024 MiB per task, 2 to 10 tasks.
   */
  PRODUCTION = 'production',
}

/** The sizes and counts a stage profile sets when a service does not set them. */
export interface StageDefaults {
  /** Task CPU units. */
  readonly cpu: number;
  /** Task memory in MiB. */
  readonly memoryMiB: number;
  /** The fewest tasks. */
  readonly minTasks: number;
  /** The most tasks. */
  readonly maxTasks: number;
}

/** @internal */
export function stageDefaults(stage: StageProfile): StageDefaults {
  switch (stage) {
    case StageProfile.DEVELOPMENT:
      return { cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 2 };
    case StageProfile.PRODUCTION:
    default:
      return { cpu: 512, memoryMiB: 1024, minTasks: 2, maxTasks: 10 };
  }
}
