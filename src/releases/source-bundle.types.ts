/** The media type of a source bundle (releases/source-bundle.ts), shared by the upload endpoint and the client. */
export const SOURCE_BUNDLE_TYPE = "application/vnd.rampart.source+gzip";

/** What `POST /api/v1/uploads` answers. */
export interface UploadView {
  upload: string;
  digest: string;
  files: number;
  bytes: number;
}
