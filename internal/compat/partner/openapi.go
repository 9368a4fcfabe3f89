package partner

import _ "embed"

//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the OpenAPI document of the partner-portal surface, written from its seed;
// the server serves it at /compat/partner/openapi.json.
func OpenAPIDocument() []byte { return openAPIDocument }

// OpenAPIDocument returns the surface's OpenAPI document, for the API that mounts it to serve
// at the surface's base path.
func (s *Surface) OpenAPIDocument() []byte { return openAPIDocument }
