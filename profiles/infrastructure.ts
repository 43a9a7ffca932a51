/**
 * Kubernetes (Flux159/mcp-server-kubernetes, npm mcp-server-kubernetes): namespaces default to `default`,
 * `allNamespaces: true` is every namespace (`*`), and a manifest's documents name their own kinds and
 * namespaces. Names from https://github.com/Flux159/mcp-server-kubernetes (src/tools).
 * @module
 */
import type { ServerProfileDescriptor } from "../src/profiles/mod.ts";

const NS = { from: "/namespace", default: "default" } as const;
const ALL = { from: "/allNamespaces", ifTrue: "*" } as const;

/** Kubernetes via kubectl. */
export const kubernetes: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "kubernetes",
  version: "1.0.0",
  description: "Kubernetes MCP server (mcp-server-kubernetes)",
  sources: ["https://github.com/Flux159/mcp-server-kubernetes"],
  match: {
    packages: ["mcp-server-kubernetes", "flux159/mcp-server-kubernetes"],
    names: ["kubernetes", "k8s", "kube*"],
  },
  tools: {
    kubectl_get: { classes: ["read"], scopes: { namespaces: [NS, ALL], kinds: ["/resourceType"] } },
    kubectl_describe: { classes: ["read"], scopes: { namespaces: [NS, ALL], kinds: ["/resourceType"] } },
    kubectl_logs: {
      classes: ["read"],
      scopes: { namespaces: [NS], kinds: ["/resourceType"] },
      untrusted: true,
    },
    kubectl_apply: { classes: ["write"], scopes: { namespaces: [NS], manifests: ["/manifest"] } },
    kubectl_create: {
      classes: ["write"],
      scopes: { namespaces: [NS], kinds: ["/resourceType"], manifests: ["/manifest"] },
    },
    kubectl_delete: {
      classes: ["delete"],
      scopes: { namespaces: [NS, ALL], kinds: ["/resourceType"], manifests: ["/manifest"] },
    },
    kubectl_patch: { classes: ["write"], scopes: { namespaces: [NS], kinds: ["/resourceType"] } },
    kubectl_scale: { classes: ["write"], scopes: { namespaces: [NS], kinds: ["/resourceType"] } },
    kubectl_rollout: { classes: ["write"], scopes: { namespaces: [NS], kinds: ["/resourceType"] } },
    kubectl_generic: {
      classes: ["write", "delete", "admin"],
      scopes: { namespaces: [NS], kinds: ["/resourceType"] },
    },
    kubectl_context: { classes: ["admin"] },
    explain_resource: { classes: ["read"] },
    list_api_resources: { classes: ["read"] },
    exec_in_pod: { classes: ["exec"], scopes: { namespaces: [NS] } },
    port_forward: { classes: ["network"], scopes: { namespaces: [NS], kinds: ["/resourceType"] } },
    stop_port_forward: { classes: ["write"] },
    install_helm_chart: { classes: ["write", "network"], scopes: { namespaces: [NS], hosts: ["/repo"] } },
    upgrade_helm_chart: { classes: ["write", "network"], scopes: { namespaces: [NS], hosts: ["/repo"] } },
    uninstall_helm_chart: { classes: ["delete"], scopes: { namespaces: [NS] } },
    node_management: { classes: ["admin"] },
    cleanup: { classes: ["delete"] },
    ping: { classes: ["read"] },
  },
  samples: [
    {
      tool: "kubectl_get",
      args: { resourceType: "pods" },
      want: { namespaces: ["default"], kinds: ["pods"] },
    },
    {
      tool: "kubectl_get",
      args: { resourceType: "secrets", allNamespaces: true },
      want: { namespaces: ["*", "default"], kinds: ["secrets"] },
    },
    {
      tool: "kubectl_apply",
      args: { manifest: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: kube-system\n" },
      want: { namespaces: ["default", "kube-system"], kinds: ["pod"] },
    },
  ],
};
