import type { EmulatorApp } from '../core'

export function registerCheckoutPages(_app: EmulatorApp): void {}
