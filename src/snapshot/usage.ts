export { diskUsage } from '../util/index.js';
