-- Edited by hand after drizzle-kit generate: WITHOUT ROWID (drizzle has no option for it).
CREATE TABLE `reports` (
	`bucket` integer NOT NULL,
	`hashed_id` blob NOT NULL,
	`timestamp` integer NOT NULL,
	`payload` blob NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`bucket`, `hashed_id`, `timestamp`, `payload`)
) WITHOUT ROWID;
