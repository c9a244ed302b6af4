CREATE TABLE `customers` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`email` text,
	`name` text,
	`default_payment_method_id` text,
	`balance` integer DEFAULT 0 NOT NULL,
	`currency` text,
	`deleted` integer DEFAULT false NOT NULL,
	`stripe_created` integer,
	`synced_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `customers_user_idx` ON `customers` (`user_id`);--> statement-breakpoint
CREATE TABLE `invoice_lines` (
	`id` text PRIMARY KEY NOT NULL,
	`invoice_id` text NOT NULL,
	`position` integer NOT NULL,
	`description` text,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`quantity` integer,
	`price_id` text,
	`subscription_item_id` text,
	`proration` integer DEFAULT false NOT NULL,
	`period_start` integer,
	`period_end` integer
);
--> statement-breakpoint
CREATE INDEX `invoice_lines_invoice_idx` ON `invoice_lines` (`invoice_id`,`position`);--> statement-breakpoint
CREATE TABLE `invoices` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`user_id` text,
	`subscription_id` text,
	`status` text,
	`number` text,
	`currency` text NOT NULL,
	`amount_due` integer NOT NULL,
	`amount_paid` integer NOT NULL,
	`amount_remaining` integer NOT NULL,
	`subtotal` integer NOT NULL,
	`total` integer NOT NULL,
	`billing_reason` text,
	`collection_method` text,
	`attempt_count` integer DEFAULT 0 NOT NULL,
	`next_payment_attempt` integer,
	`due_date` integer,
	`period_start` integer,
	`period_end` integer,
	`hosted_invoice_url` text,
	`invoice_pdf` text,
	`payment_intent_id` text,
	`finalized_at` integer,
	`paid_at` integer,
	`deleted` integer DEFAULT false NOT NULL,
	`stripe_created` integer NOT NULL,
	`synced_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `invoices_customer_idx` ON `invoices` (`customer_id`,`stripe_created`);--> statement-breakpoint
CREATE INDEX `invoices_subscription_idx` ON `invoices` (`subscription_id`);--> statement-breakpoint
CREATE INDEX `invoices_user_idx` ON `invoices` (`user_id`);--> statement-breakpoint
CREATE TABLE `payment_methods` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text,
	`type` text NOT NULL,
	`brand` text,
	`last4` text,
	`exp_month` integer,
	`exp_year` integer,
	`fingerprint` text,
	`detached` integer DEFAULT false NOT NULL,
	`stripe_created` integer,
	`synced_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `payment_methods_customer_idx` ON `payment_methods` (`customer_id`);--> statement-breakpoint
CREATE INDEX `payment_methods_fingerprint_idx` ON `payment_methods` (`fingerprint`);--> statement-breakpoint
CREATE TABLE `payments` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text,
	`user_id` text,
	`amount` integer NOT NULL,
	`amount_received` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`description` text,
	`kind` text,
	`last_error` text,
	`metadata` text NOT NULL,
	`stripe_created` integer NOT NULL,
	`synced_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `payments_customer_idx` ON `payments` (`customer_id`,`stripe_created`);--> statement-breakpoint
CREATE INDEX `payments_user_idx` ON `payments` (`user_id`);--> statement-breakpoint
CREATE TABLE `prices` (
	`id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`lookup_key` text,
	`active` integer NOT NULL,
	`currency` text NOT NULL,
	`unit_amount` integer,
	`type` text NOT NULL,
	`interval` text,
	`interval_count` integer,
	`usage_type` text,
	`meter_id` text,
	`deleted` integer DEFAULT false NOT NULL,
	`stripe_created` integer,
	`synced_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `prices_lookup_key_idx` ON `prices` (`lookup_key`);--> statement-breakpoint
CREATE INDEX `prices_product_idx` ON `prices` (`product_id`);--> statement-breakpoint
CREATE TABLE `products` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`active` integer NOT NULL,
	`metadata` text NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`stripe_created` integer,
	`synced_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `subscription_items` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`price_id` text NOT NULL,
	`price_lookup_key` text,
	`usage_type` text,
	`quantity` integer,
	`current_period_start` integer,
	`current_period_end` integer,
	`stripe_created` integer
);
--> statement-breakpoint
CREATE INDEX `subscription_items_subscription_idx` ON `subscription_items` (`subscription_id`);--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`user_id` text,
	`status` text NOT NULL,
	`price_id` text,
	`price_lookup_key` text,
	`quantity` integer,
	`currency` text NOT NULL,
	`collection_method` text NOT NULL,
	`cancel_at_period_end` integer NOT NULL,
	`cancel_at` integer,
	`canceled_at` integer,
	`ended_at` integer,
	`pause_behavior` text,
	`pause_resumes_at` integer,
	`trial_start` integer,
	`trial_end` integer,
	`current_period_start` integer,
	`current_period_end` integer,
	`default_payment_method_id` text,
	`latest_invoice_id` text,
	`schedule_id` text,
	`pending_price_id` text,
	`pending_quantity` integer,
	`pending_change_at` integer,
	`metadata` text NOT NULL,
	`stripe_created` integer NOT NULL,
	`synced_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `subscriptions_customer_idx` ON `subscriptions` (`customer_id`,`stripe_created`);--> statement-breakpoint
CREATE INDEX `subscriptions_user_idx` ON `subscriptions` (`user_id`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`dedupe_key` text NOT NULL,
	`template` text NOT NULL,
	`user_id` text,
	`to_email` text,
	`data` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`sent_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_dedupe_key_unique` ON `outbox` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `outbox_status_idx` ON `outbox` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `stripe_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`object_id` text,
	`created` integer NOT NULL,
	`api_version` text,
	`livemode` integer DEFAULT false NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`locked_at` integer,
	`source` text DEFAULT 'webhook' NOT NULL,
	`received_at` integer NOT NULL,
	`processed_at` integer
);
--> statement-breakpoint
CREATE INDEX `stripe_events_status_idx` ON `stripe_events` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `stripe_events_object_idx` ON `stripe_events` (`object_id`);--> statement-breakpoint
CREATE TABLE `webhook_effects` (
	`key` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`event_id` text NOT NULL,
	`user_id` text,
	`data` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_effects_user_idx` ON `webhook_effects` (`user_id`,`kind`);