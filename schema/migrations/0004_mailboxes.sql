CREATE TABLE `mailbox_messages` (
	`mailbox` blob NOT NULL,
	`seq` integer NOT NULL,
	`message` blob NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`mailbox`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `mailbox_states` (
	`mailbox` blob PRIMARY KEY NOT NULL,
	`statement` blob NOT NULL,
	`expires_at` integer NOT NULL
);
