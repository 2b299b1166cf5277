CREATE TABLE `attachment_chunks` (
	`mailbox` blob NOT NULL,
	`attachment` blob NOT NULL,
	`idx` integer NOT NULL,
	`chunk` blob NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`mailbox`, `attachment`, `idx`)
);
