export {
  ConfigError,
  DEVELOPMENT_JWT_SECRET,
  eventsAppendedChannel,
  projectionProgressChannel,
  streamChangesChannel,
  isDevelopmentOrTest,
  loadConfig,
  parseCorsOrigins,
  wholeNumberFromEnv,
  type Config,
  type Env,
  type LoadConfigOptions,
} from "./config";
