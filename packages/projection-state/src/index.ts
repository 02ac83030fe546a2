export * from "./positions";
export * from "./dead-letters";
