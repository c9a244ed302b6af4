ALTER TABLE `cancellation_reasons` ADD `idempotency_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `cancellation_reasons_idempotency_key_idx` ON `cancellation_reasons` (`idempotency_key`);