import type { EmulatorApp } from '../core'

export function registerInvoicePages(_app: EmulatorApp): void {}
