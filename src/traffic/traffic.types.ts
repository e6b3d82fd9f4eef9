import { z } from "zod";

/**
 * Where an app's requests go in one environment: the instances in rotation and, while a canary splits traffic
 * by percentage, the weight of each release. Without weights each release weighs its number of serving instances.
 */
export interface TrafficState {
  env: string;
  app: string;
  /** Instance ids the edge may send traffic to (when healthy). */
  routable: string[];
  /** Relative weight per release number; null: by instance count. */
  weights: Record<string, number> | null;
  updatedAt: number;
}

/** One call's change: instances in and out of rotation, and the weights (null clears them, absent keeps them). */
export interface TrafficChange {
  add?: string[];
  remove?: string[];
  weights?: Record<string, number> | null;
}

export const routableSchema = z.array(z.string());
export const weightsSchema = z.record(z.string(), z.number()).nullable();
