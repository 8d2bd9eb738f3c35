// The package's public entry (package.json "main"/"types"): the construct, its props and their enums.
export { BlueGreenPromotion, type BlueGreenPromotionProps, type GreenAlarmOptions } from './promotion';
export {
  OnNewerApproval,
  Strategy,
  TrafficType,
  ValidationMode,
  type ApprovalRoute,
  type RouteGreenAlarms,
  type TrafficRouting,
  type ValidationOptions,
  type ValidationSample,
} from './props';
