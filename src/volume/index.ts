export { VolumeService, isMountpoint, LOCAL_DRIVER, type VolumeJson, type VolumeRecord, type CreateVolumeRequest } from './service.js';
export { validateVolumeName, generateVolumeName, ANONYMOUS_LABEL } from './names.js';
