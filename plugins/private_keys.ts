import type { RedactorDescriptor } from "../src/redact/define_redactor.ts";

/**
 * PEM private-key blocks. A block without its END line (a truncated paste) is redacted to the end of the
 * string: a partial key is still a secret, and matching to the end keeps the rule linear when END is missing.
 */
const privateKeys: RedactorDescriptor = {
  apiVersion: 1,
  id: "private-keys",
  version: "1.0.0",
  description: "PEM and OpenSSH private keys (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP)",
  category: "secrets",
  rules: [{
    id: "pem-private-key",
    needles: ["-----BEGIN"],
    description: "-----BEGIN … PRIVATE KEY----- through its END line (or the end of the text)",
    pattern:
      /-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g,
    samples: {
      redact: [
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFDjBABgkqhkiG9w0BBQ0w\n-----END ENCRYPTED PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----",
        "truncated: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7",
      ],
      keep: [
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQ\n-----END PUBLIC KEY-----",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK alice-laptop",
        "see the private key docs",
      ],
    },
  }],
  samples: {
    redact: ["key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\nend"],
    keep: ["-----BEGIN CERTIFICATE-----"],
  },
};
export default privateKeys;
