CREATE TABLE `upcoming_invoices` (
	`customer_id` text PRIMARY KEY NOT NULL,
	`subscription_id` text,
	`currency` text NOT NULL,
	`subtotal` integer NOT NULL,
	`total` integer NOT NULL,
	`amount_due` integer NOT NULL,
	`bills_at` integer,
	`lines` text NOT NULL,
	`synced_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `customers` ADD `address` text;--> statement-breakpoint
ALTER TABLE `customers` ADD `tax_ids` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `invoice_lines` ADD `unit_amount_decimal` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `description` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `discount_total` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `invoices` ADD `tax_total` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `invoices` ADD `starting_balance` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `invoices` ADD `ending_balance` integer;--> statement-breakpoint
ALTER TABLE `invoices` ADD `post_payment_credit_notes_amount` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `invoices` ADD `pre_payment_credit_notes_amount` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `invoices` ADD `customer_name` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `customer_email` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `customer_address` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `customer_tax_ids` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `invoices` ADD `payments` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
CREATE INDEX `invoices_customer_page_idx` ON `invoices` (`customer_id`,`stripe_created`,`id`);--> statement-breakpoint
ALTER TABLE `payments` ADD `amount_refunded` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `payments` ADD `receipt_url` text;