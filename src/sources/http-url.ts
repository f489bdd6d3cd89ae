/** A link back to the alert, kept only when it is an absolute http(s) URL: anything else would be a dead link. */
export const httpUrl = (s: string | undefined): string | undefined => {
  if (!s) return undefined;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? s : undefined;
  } catch {
    return undefined;
  }
};
