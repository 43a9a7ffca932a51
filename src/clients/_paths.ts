import { join } from "node:path/posix";
import type { PathContext } from "./types.ts";

/**
 * `%APPDATA%` on Windows (falls back to `~/AppData/Roaming`), with forward slashes so the same data
 * works in tests on any host.
 */
export function appData(ctx: PathContext): string {
  return (ctx.env("APPDATA") ?? join(ctx.home, "AppData", "Roaming")).replaceAll("\\", "/");
}

/** The per-OS directory VS Code-family editors keep user settings in (`Code`, `Cursor`, `Code - Insiders`). */
export function editorUserDir(ctx: PathContext, app: string): string {
  if (ctx.os === "darwin") return join(ctx.home, "Library", "Application Support", app, "User");
  if (ctx.os === "windows") return join(appData(ctx), app, "User");
  return join(ctx.home, ".config", app, "User");
}

/** `~/.config` (XDG_CONFIG_HOME when set) on Linux and macOS. */
export function xdgConfig(ctx: PathContext): string {
  return ctx.env("XDG_CONFIG_HOME") ?? join(ctx.home, ".config");
}
