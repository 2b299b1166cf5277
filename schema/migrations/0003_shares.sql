CREATE TABLE `shares` (
	`id` blob PRIMARY KEY NOT NULL,
	`ciphertext` blob NOT NULL,
	`token_hash` blob NOT NULL,
	`expires_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`found` integer NOT NULL
);
