/**
 * Browsers and desktops: Playwright MCP (@playwright/mcp), the archived reference Puppeteer server
 * (@modelcontextprotocol/server-puppeteer, whose `puppeteer_navigate` takes `launchOptions`) and Desktop
 * Commander (@wonderwhy-er/desktop-commander). Page content is untrusted; browser launch options and
 * command lines are judged by the dangerous-argument guard pack (guards/).
 * Names from https://github.com/microsoft/playwright-mcp, https://github.com/modelcontextprotocol/servers-archived
 * (src/puppeteer) and https://github.com/wonderwhy-er/DesktopCommanderMCP.
 * @module
 */
import type { ServerProfileDescriptor } from "../src/profiles/mod.ts";

/** Playwright MCP. */
export const playwright: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "playwright",
  version: "1.0.0",
  description: "Playwright MCP browser server",
  sources: ["https://github.com/microsoft/playwright-mcp"],
  match: {
    packages: ["@playwright/mcp", "mcr.microsoft.com/playwright/mcp"],
    names: ["playwright", "browser"],
  },
  tools: {
    browser_navigate: { classes: ["read", "network"], scopes: { hosts: ["/url"] }, untrusted: true },
    browser_snapshot: { classes: ["read"], untrusted: true },
    browser_take_screenshot: { classes: ["read"], untrusted: true },
    browser_console_messages: { classes: ["read"], untrusted: true },
    browser_network_requests: { classes: ["read"], untrusted: true },
    browser_tabs: { classes: ["read"] },
    browser_wait_for: { classes: ["read"] },
    browser_navigate_back: { classes: ["network"] },
    // Clicking and typing act on whatever site is open: a submit is a send.
    browser_click: { classes: ["write", "send"] },
    browser_type: { classes: ["write", "send"] },
    browser_fill_form: { classes: ["write", "send"] },
    browser_select_option: { classes: ["write"] },
    browser_press_key: { classes: ["write", "send"] },
    browser_hover: { classes: ["read"] },
    browser_drag: { classes: ["write"] },
    browser_handle_dialog: { classes: ["write"] },
    browser_resize: { classes: ["write"] },
    browser_close: { classes: ["write"] },
    browser_file_upload: { classes: ["read", "send"] },
    browser_evaluate: { classes: ["exec"] },
    browser_run_code: { classes: ["exec"] },
    browser_install: { classes: ["write", "network"] },
    browser_pdf_save: { classes: ["write"] },
  },
  samples: [{
    tool: "browser_navigate",
    args: { url: "https://shop.example.com/cart" },
    want: { hosts: ["shop.example.com"] },
  }],
};

/** Puppeteer (archived reference server). */
export const puppeteer: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "puppeteer",
  version: "1.0.0",
  description: "Puppeteer MCP browser server (archived reference)",
  sources: ["https://github.com/modelcontextprotocol/servers-archived"],
  match: { packages: ["@modelcontextprotocol/server-puppeteer", "mcp/puppeteer"], names: ["puppeteer"] },
  tools: {
    puppeteer_navigate: { classes: ["read", "network"], scopes: { hosts: ["/url"] }, untrusted: true },
    puppeteer_screenshot: { classes: ["read"], untrusted: true },
    puppeteer_click: { classes: ["write", "send"] },
    puppeteer_fill: { classes: ["write", "send"] },
    puppeteer_select: { classes: ["write"] },
    puppeteer_hover: { classes: ["read"] },
    puppeteer_evaluate: { classes: ["exec"] },
  },
  samples: [{
    tool: "puppeteer_navigate",
    args: { url: "https://a.example.org" },
    want: { hosts: ["a.example.org"] },
  }],
};

/** Desktop Commander: a shell and a file editor with its own (agent-changeable) configuration. */
export const desktopCommander: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "desktop-commander",
  version: "1.0.0",
  description: "Desktop Commander MCP (terminal, processes, files)",
  sources: ["https://github.com/wonderwhy-er/DesktopCommanderMCP"],
  match: { packages: ["@wonderwhy-er/desktop-commander"], names: ["desktop-commander", "desktop_commander"] },
  tools: {
    start_process: { classes: ["exec"] },
    interact_with_process: { classes: ["exec"] },
    execute_command: { classes: ["exec"] },
    read_process_output: { classes: ["read"], untrusted: true },
    read_output: { classes: ["read"], untrusted: true },
    force_terminate: { classes: ["delete"] },
    kill_process: { classes: ["delete"] },
    list_sessions: { classes: ["read"] },
    list_processes: { classes: ["read"] },
    // Reads URLs too (isUrl: true): the page is untrusted.
    read_file: { classes: ["read"], untrusted: true },
    read_multiple_files: { classes: ["read"] },
    write_file: { classes: ["write"] },
    edit_block: { classes: ["write"] },
    create_directory: { classes: ["write"] },
    list_directory: { classes: ["read"] },
    move_file: { classes: ["write", "delete"] },
    search_files: { classes: ["read"] },
    search_code: { classes: ["read"] },
    start_search: { classes: ["read"] },
    get_more_search_results: { classes: ["read"] },
    stop_search: { classes: ["read"] },
    get_file_info: { classes: ["read"] },
    get_config: { classes: ["read"] },
    // Changes allowedDirectories and blockedCommands: the server's own sandbox.
    set_config_value: { classes: ["admin", "write"] },
    get_usage_stats: { classes: ["read"] },
    give_feedback_to_desktop_commander: { classes: ["send", "network"] },
  },
  samples: [{ tool: "start_process", args: { command: "ls", timeout_ms: 1000 }, want: { unreadable: [] } }],
};
