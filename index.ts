export { ZImage } from './nodes/ZImage/ZImage.node';
export { TensorsLabApi } from './credentials/TensorsLabApi.credentials';
export { ZImageServerApi } from './credentials/ZImageServerApi.credentials';
export { EvolinkApi } from './credentials/EvolinkApi.credentials';
export { OdkkkApi } from './credentials/OdkkkApi.credentials';
export { ZImageFalApi } from './credentials/ZImageFalApi.credentials';
export { ZImageModelStudioApi } from './credentials/ZImageModelStudioApi.credentials';
export { ZImageReplicateApi } from './credentials/ZImageReplicateApi.credentials';
