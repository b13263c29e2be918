// What the CLI needs from the Hetzner side: one import. Each command returns a result and never
// prints; progress goes through the `report` callback.
export { create, type CreateOptions, type CreateResult } from './create';
export { list, type ListedServer } from './list';
export { deleteServer, type DeleteOptions, type DeleteResult } from './delete';
export { rescale, type RescaleOptions, type RescaleResult } from './rescale';
export { buildImage, type ImageOptions, type ImageResult } from './image';
export { HcloudError, LeftBehindError } from './api/errors';
