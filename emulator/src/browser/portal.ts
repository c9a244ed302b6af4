import type { EmulatorApp } from '../core'

export function registerPortalPages(_app: EmulatorApp): void {}
