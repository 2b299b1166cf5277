/** How finder commands tell a person about a lost-mode notice: plain text, never a link. */
import type { NoticeLookup } from '../sdk/lost-mode.ts';

/**
 * One line for stderr, or nothing when the key has no notice. The text was checked when the
 * notice was opened (no control or direction characters), so it cannot disguise the line.
 * @example noticeLine(lookup) // 'This item is lost. The owner says: "…" Contact (phone): +15550100'
 */
export function noticeLine(lookup: NoticeLookup): string {
  if (lookup.status === 'none') return '';
  if (lookup.status === 'forged')
    return `A lost-mode notice is stored for this key but it is not the owner's (${lookup.reason}); it is not shown.\n`;
  const { message, contact } = lookup.notice;
  return `This item is lost. The owner says: "${message}" Contact (${contact.kind}): ${contact.value}\n`;
}

/** The lookup in a command's JSON output. */
export function noticeJson(lookup: NoticeLookup) {
  if (lookup.status === 'valid')
    return { status: 'valid', message: lookup.notice.message, contact: lookup.notice.contact } as const;
  return lookup.status === 'forged' ? { status: 'forged', reason: lookup.reason } : { status: 'none' };
}
