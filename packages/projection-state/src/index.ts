export * from "./positions";
export * from "./dead-letters";
export * from "./progress";
