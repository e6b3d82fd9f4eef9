/** The config capability's public surface: load rampart.yaml, resolve apps, write a starter. */
export { loadManifest, parseManifest, type LoadOptions } from "./manifest.loader.ts";
export { appNames, environmentNames, resolveApp } from "./manifest.resolve.ts";
export { ManifestError, formatIssue, type ManifestIssue } from "./manifest-error.ts";
export { projectNameFrom, starterManifest } from "./starter-manifest.ts";
export { APP_DEFAULTS, ENVIRONMENT_DEFAULTS } from "./manifest.defaults.ts";
export { manifestFileSchema, type ManifestFile } from "./manifest.schema.ts";
export { formatDuration, parseDuration, parsePercent, parseRatio } from "./units.ts";
export {
  RELEASE_STRATEGIES,
  environmentConfigSchema,
  manifestSchema,
  resolvedAppSchema,
  type EnvironmentConfig,
  type LatencyGuard,
  type LoadedManifest,
  type Manifest,
  type ManifestApp,
  type ReleaseStrategy,
  type ResolvedApp,
} from "./resolved-manifest.schema.ts";
