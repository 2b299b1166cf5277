-- Edited by hand after drizzle-kit generate: live notices copied as not withdrawn, and no
-- PRAGMA foreign_keys (the table has none, and D1 runs migrations without it).
CREATE TABLE `__new_notices` (
	`hashed_id` blob NOT NULL,
	`notice` blob NOT NULL,
	`expires_at` integer NOT NULL,
	`withdraw_hash` blob NOT NULL,
	`published_at` integer NOT NULL,
	`withdrawn` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`hashed_id`, `notice`)
);
--> statement-breakpoint
INSERT INTO `__new_notices`("hashed_id", "notice", "expires_at", "withdraw_hash", "published_at", "withdrawn") SELECT "hashed_id", "notice", "expires_at", "withdraw_hash", "published_at", 0 FROM `notices`;--> statement-breakpoint
DROP TABLE `notices`;--> statement-breakpoint
ALTER TABLE `__new_notices` RENAME TO `notices`;