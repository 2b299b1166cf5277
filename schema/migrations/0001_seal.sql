-- Edited by hand after drizzle-kit generate: WITHOUT ROWID, the seal computed from each stored
-- payload, and duplicates by seal collapsed to the copy received first (a replay with a forged
-- time or confidence was stored as a new report before).
CREATE TABLE `__new_reports` (
	`bucket` integer NOT NULL,
	`hashed_id` blob NOT NULL,
	`seal` blob NOT NULL,
	`timestamp` integer NOT NULL,
	`payload` blob NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`bucket`, `hashed_id`, `seal`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT OR IGNORE INTO `__new_reports`("bucket", "hashed_id", "seal", "timestamp", "payload", "received_at") SELECT "bucket", "hashed_id", substr("payload", length("payload") - 81, 8), "timestamp", "payload", "received_at" FROM `reports` ORDER BY "received_at";--> statement-breakpoint
DROP TABLE `reports`;--> statement-breakpoint
ALTER TABLE `__new_reports` RENAME TO `reports`;
