export {
  ConfigError,
  DEVELOPMENT_DATA_KEY_SECRET,
  DEVELOPMENT_JWT_SECRET,
  eventsAppendedChannel,
  keysForgottenChannel,
  isDevelopmentOrTest,
  loadConfig,
  parseCorsOrigins,
  wholeNumberFromEnv,
  type Config,
  type Env,
  type LoadConfigOptions,
} from "./config";
