CREATE TABLE `meter_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`meter` text NOT NULL,
	`window_start` integer NOT NULL,
	`window_end` integer NOT NULL,
	`event_timestamp` integer NOT NULL,
	`first_event_id` integer NOT NULL,
	`last_event_id` integer NOT NULL,
	`rows` integer NOT NULL,
	`value` integer NOT NULL,
	`identifier` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`sent_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `meter_reports_identifier_unique` ON `meter_reports` (`identifier`);--> statement-breakpoint
CREATE INDEX `meter_reports_status_idx` ON `meter_reports` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `meter_reports_window_idx` ON `meter_reports` (`user_id`,`meter`,`window_start`);--> statement-breakpoint
CREATE INDEX `meter_reports_customer_idx` ON `meter_reports` (`customer_id`,`event_timestamp`);--> statement-breakpoint
CREATE TABLE `usage_daily` (
	`user_id` text NOT NULL,
	`meter` text NOT NULL,
	`day` text NOT NULL,
	`api_key_id` text NOT NULL,
	`calls` integer NOT NULL,
	PRIMARY KEY(`user_id`, `meter`, `day`, `api_key_id`)
);
--> statement-breakpoint
CREATE TABLE `usage_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`api_key_id` text,
	`meter` text NOT NULL,
	`value` integer DEFAULT 1 NOT NULL,
	`occurred_at` integer NOT NULL,
	`idempotency_key` text,
	`report_id` integer
);
--> statement-breakpoint
CREATE INDEX `usage_events_unreported_idx` ON `usage_events` (`report_id`,`user_id`,`meter`,`occurred_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `usage_events_idempotency_idx` ON `usage_events` (`user_id`,`idempotency_key`) WHERE "usage_events"."idempotency_key" is not null;