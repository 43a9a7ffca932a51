import emailAddresses from "email-addresses";

/** A read address list or why not. */
export type RecipientsReading = { ok: true; addresses: string[] } | { ok: false; why: string };

/**
 * Reads one recipient value: an address, `Name <a@b>`, or a list of them separated by commas or semicolons
 * (RFC 5322 via email-addresses; groups are flattened). Addresses are lowercased and their domains turned to
 * ASCII (punycode), so `Bob@Exämple.com` and `bob@xn--exmple-cua.com` are one recipient.
 * @param value the argument value (a string; arrays are walked by the caller)
 * @returns the addresses or why not
 */
export function readRecipients(value: unknown): RecipientsReading {
  if (typeof value !== "string") return { ok: false, why: "a recipient must be a string" };
  const text = value.trim().replace(/[,;\s]+$/, "");
  if (text === "") return { ok: true, addresses: [] };
  // Headers cannot hold line breaks; one here is a header injection (`a@b\nBcc: c@d`).
  if (/[\r\n]/.test(text)) return { ok: false, why: `"${value}" holds a line break` };
  const parse = (s: string) => emailAddresses.parseAddressList({ input: s, rfc6532: true } as never);
  const list = parse(text) ?? (text.includes(";") ? parse(text.replace(/;/g, ",")) : null);
  if (list === null) return { ok: false, why: `"${value}" is not an address list` };
  const out: string[] = [];
  for (const item of list) {
    const mailboxes = item.type === "group"
      ? (item as { addresses: { address: string }[] }).addresses
      : [item];
    for (const m of mailboxes) {
      const address = (m as { address?: string }).address;
      if (!address) return { ok: false, why: `"${value}" holds an entry with no address` };
      const at = address.lastIndexOf("@");
      const local = address.slice(0, at).toLowerCase();
      const domain = asciiDomain(address.slice(at + 1));
      if (domain === undefined) return { ok: false, why: `"${address}" has no valid domain` };
      out.push(`${local}@${domain}`);
    }
  }
  return { ok: true, addresses: out };
}

function asciiDomain(domain: string): string | undefined {
  if (domain.startsWith("[")) return domain.toLowerCase(); // an address literal: kept, matched only literally
  try {
    const h = new URL(`http://${domain}/`).hostname;
    return h === "" ? undefined : h;
  } catch {
    return undefined;
  }
}

/**
 * The domain of a read address.
 * @param address `local@domain`
 * @returns `domain`
 */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1);
}
