import { AMAZONQ } from "./amazonq.ts";
import { CLAUDE_CODE } from "./claude_code.ts";
import { CLAUDE_DESKTOP } from "./claude_desktop.ts";
import { CLINE } from "./cline.ts";
import { CODEX } from "./codex.ts";
import { COPILOT } from "./copilot.ts";
import { JUNIE } from "./junie.ts";
import { LMSTUDIO } from "./lmstudio.ts";
import { OPENCODE } from "./opencode.ts";
import { CONTINUE } from "./continue.ts";
import { CURSOR } from "./cursor.ts";
import { GEMINI } from "./gemini.ts";
import { GENERIC } from "./generic.ts";
import { GOOSE } from "./goose.ts";
import { KIRO } from "./kiro.ts";
import type { ClientSpec } from "./types.ts";
import { VSCODE } from "./vscode.ts";
import { WINDSURF } from "./windsurf.ts";
import { ZED } from "./zed.ts";

/** Every client, most specific file patterns first (so `.cursor/mcp.json` is Cursor, not generic `mcp.json`). */
export const CLIENTS: readonly ClientSpec[] = [
  CLAUDE_DESKTOP,
  CLAUDE_CODE,
  CURSOR,
  VSCODE,
  WINDSURF,
  GEMINI,
  CODEX,
  ZED,
  CLINE,
  CONTINUE,
  GOOSE,
  AMAZONQ,
  KIRO,
  COPILOT,
  LMSTUDIO,
  JUNIE,
  OPENCODE,
  GENERIC,
];
