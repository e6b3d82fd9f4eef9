import { controlPlaneDrills } from "./control-plane.drills.ts";
import { dataDirDrills } from "./data-dir.drills.ts";
import type { Drill } from "./drill.types.ts";
import { edgeDrill, edgeSlowRestartDrill } from "./edge.drill.ts";
import { edgeCorpusDrill } from "./edge-corpus.drill.ts";
import { hungInstanceDrill } from "./hung-instance.drill.ts";
import { instanceDrills } from "./instance.drills.ts";
import { sigtermDrill } from "./sigterm.drill.ts";

/** Every drill, in the order `npm run drills` runs them. */
export const allDrills: Drill[] = [
  ...controlPlaneDrills,
  ...instanceDrills,
  edgeDrill,
  edgeSlowRestartDrill,
  edgeCorpusDrill,
  sigtermDrill,
  ...dataDirDrills,
  hungInstanceDrill,
];
