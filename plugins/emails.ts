import type { RedactorDescriptor } from "../src/redact/define_redactor.ts";
import { REDACTED } from "../src/redact/redacted.ts";

/**
 * Email addresses: the local part is redacted, the domain kept (`‹redacted›@example.com`). A "top-level domain" that is a file extension and no real TLD (`.ts`, `.json`, `.png` …)
 * marks a file name such as `server@2.ts`, not an address. Only the address is replaced, never a `/` around it, so a path that holds an address
 * (`/srv/mail/bob@example.com/inbox`) keeps its shape for `infer`. The original's pattern took minutes on a
 * long unbroken token; here the local part starts behind a lookbehind and every part is bounded.
 */
const emails: RedactorDescriptor = {
  apiVersion: 1,
  id: "emails",
  version: "1.0.0",
  description: "Email addresses",
  category: "emails",
  rules: [{
    id: "email",
    needles: ["@"],
    description: "local@domain.tld (not git@host, pkg@1.2.3, server@2.ts or other file names)",
    pattern:
      /(?:(?<![A-Za-z0-9._%+-])(?!(?<=\\)[nrt])|(?<=\\[nrt]))(?!git@)[A-Za-z0-9._%+-]{1,64}@(?<domain>(?!\d{1,2}x\.)(?:[A-Za-z0-9-]{1,63}\.){1,8}(?!(?:[cm]?[jt]sx?|json[cl]?|ya?ml|toml|txt|png|jpe?g|gif|svg|webp|lock|log|html?|css|map|wasm|exe|dll|tar|t?gz|bz2|xz|csv|pdf|docx?|xlsx?|bak|tmp)(?![A-Za-z0-9-]))[A-Za-z]{2,24}(?![A-Za-z0-9-]))/g,
    // The domain stays: `infer` learns recipient domains and `report` shows them from redacted traces.
    replacement: `${REDACTED}@$<domain>`,
    samples: {
      redact: [
        "bob@example.com",
        "mail Alice.Smith+tag@mail.example.co.uk now",
        "/srv/mail/bob@example.com/inbox",
      ],
      keep: [
        "git@github.com:org/repo.git",
        "icon@2x.png",
        "deno run server@2.ts",
        "logo@dark.svg",
        "npm:@modelcontextprotocol/server-memory@2026.8.31",
        "user@localhost",
        "@types/node",
      ],
    },
  }],
  samples: {
    redact: ['{"to":"carol@example.org"}'],
    keep: ["no addresses here @ all"],
  },
};
export default emails;
