export { ConfigError, DEVELOPMENT_JWT_SECRET, eventsAppendedChannel, loadConfig, wholeNumberFromEnv, type Config, type Env } from "./config";
