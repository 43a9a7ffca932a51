import { join } from "node:path/posix";
import { appData, xdgConfig } from "./_paths.ts";
import type { ClientSpec } from "./types.ts";

/** Goose: YAML map `extensions` (`cmd`, `args`, `envs`) in `config.yaml`. */
export const GOOSE: ClientSpec = {
  id: "goose",
  label: "Goose",
  format: "yaml",
  locators: [{ kind: "map", at: ["extensions"] }],
  userFiles: (ctx) =>
    ctx.os === "windows"
      ? [{ file: join(appData(ctx), "Block", "goose", "config", "config.yaml"), scope: "user" }]
      : [{ file: join(xdgConfig(ctx), "goose", "config.yaml"), scope: "user" }],
  projectFiles: [],
  matches: ["goose/config.yaml", "goose/config/config.yaml"],
};
