CREATE TABLE `notices` (
	`hashed_id` blob PRIMARY KEY NOT NULL,
	`notice` blob NOT NULL,
	`expires_at` integer NOT NULL,
	`withdraw_hash` blob NOT NULL,
	`published_at` integer NOT NULL
);
