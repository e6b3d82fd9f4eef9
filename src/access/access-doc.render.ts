import { buildOpenApiDocument } from "../api/openapi.ts";
import { apiCatalogue } from "../daemon/api-catalogue.ts";
import { operationsOf, renderPermissionMatrix } from "./access-doc.ts";

/** The permission matrix section for the API as the platform serves it. */
export function renderAccessMatrixNow(): string {
  const { routes, streams } = apiCatalogue();
  return renderPermissionMatrix(operationsOf(buildOpenApiDocument(routes, streams, "docs")));
}
