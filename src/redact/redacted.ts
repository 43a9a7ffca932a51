/** The marker that replaces a redacted value (the original's marker, kept so old traces read the same). */
export const REDACTED = "‹redacted›";
