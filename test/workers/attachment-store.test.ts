// The attachment store on R2, in workerd with a local bucket.
import { env } from 'cloudflare:workers';
import { R2AttachmentStore } from '../../src/storage/attachments/r2.ts';
import { attachmentStoreSuite } from '../contract/attachment-store.ts';

attachmentStoreSuite('R2', () => new R2AttachmentStore((env as unknown as { ATTACHMENTS: R2Bucket }).ATTACHMENTS));
