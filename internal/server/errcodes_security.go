package server

// Error codes of the exposure defences (docs/security.md).
const (
	CodeHostNotAllowed       = "host_not_allowed"
	CodeCrossOrigin          = "cross_origin"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeCommandNotAllowed    = "command_not_allowed"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeDiskFull             = "disk_full"
	CodeTooManyUploads       = "too_many_uploads"
	CodeTooManyAttempts      = "too_many_attempts"
)
