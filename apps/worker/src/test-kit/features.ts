// Every feature of the worker's test kit: the one list a new feature adds a line to.
import type { TestFeature } from "./feature";
import { commentsFeature } from "./features/comments.feature";
import { coordinatorsFeature } from "./features/coordinators.feature";
import { familiesFeature } from "./features/families.feature";

export const features: readonly TestFeature[] = [familiesFeature, commentsFeature, coordinatorsFeature];
