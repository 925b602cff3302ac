// Single place that reaches into the SDK so the import path can be switched in one edit.
export { AsporaError, isAsporaError } from '@aspora/sdk';
