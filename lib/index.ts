// The package's public entry (package.json "main"/"types"): the construct, its props and their enums.
export { BlueGreenPromotion, type BlueGreenPromotionProps, type GreenAlarmOptions } from './promotion';
export { PromotionObservability, type NotificationOptions } from './observability';
export {
  ApprovalTimeoutAction,
  OnNewerApproval,
  OnTooLittleTraffic,
  Strategy,
  TrafficType,
  ValidationMode,
  type ApprovalGateOptions,
  type ApprovalRoute,
  type BakeTrafficOptions,
  type RouteGreenAlarms,
  type TrafficRouting,
  type ValidationOptions,
  type ValidationSample,
} from './props';
