CREATE TABLE `acknowledgements` (
	`identity` blob PRIMARY KEY NOT NULL,
	`writes` integer NOT NULL
);
--> statement-breakpoint
-- Added by hand: the one row, with the database's identity chosen now.
INSERT INTO `acknowledgements` (`identity`, `writes`) VALUES (randomblob(16), 0);
