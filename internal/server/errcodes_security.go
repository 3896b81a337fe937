package server

import "github.com/drover-ml/drover/internal/errcode"

// Short names of registered codes (internal/errcode is the registry: code,
// HTTP status, meaning); new codes go there first.
const (
	CodeBadRequest           = errcode.BadRequest
	CodeNotFound             = errcode.NotFound
	CodeUnauthorized         = errcode.Unauthorized
	CodeConflict             = errcode.Conflict
	CodeTooLarge             = errcode.TooLarge
	CodeInternal             = errcode.Internal
	CodeUnavailable          = errcode.Unavailable
	CodeHostNotAllowed       = errcode.HostNotAllowed
	CodeCrossOrigin          = errcode.CrossOrigin
	CodeUnsupportedMediaType = errcode.UnsupportedMediaType
	CodeCommandNotAllowed    = errcode.CommandNotAllowed
	CodeMethodNotAllowed     = errcode.MethodNotAllowed
	CodeDiskFull             = errcode.DiskFull
	CodeTooManyUploads       = errcode.TooManyUploads
	CodeTooManyAttempts      = errcode.TooManyAttempts
	CodeQuotaExceeded        = errcode.QuotaExceeded
	CodeForbidden            = errcode.Forbidden
)
